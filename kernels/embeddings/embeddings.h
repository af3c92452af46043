// Embeddings: word + position (+ token type) gather-sum, LayerNorm and dropout in one pass,
// BERT's BertEmbeddings: y = dropout(LayerNorm(word[ids] + position[pos] + type[types])).
//
// Contract
//   input_ids, position_ids, token_type_ids  [...] int64 (same shape); token_type_ids is
//       ignored when token_type is undefined (type_vocab_size 0) and may then be undefined
//   word [V, H], position [P, H], token_type [T, H] or undefined: Float or BFloat16, the
//       op's dtype is word's; the others, gamma and beta are cast to it
//   gamma, beta [H]; eps; dropout_p in [0, 1) (0 in evaluation), applied after the norm
//   y  [..., H]  word's dtype
// Ids out of range are an error on the CPU; the CUDA kernel cannot raise, so it writes NaN
// rows for them (and skips them in backward) to make them visible.
// Saved for backward: the ids, mean and rstd per row (fp32), the seed; the pre-norm sum is
// recomputed by gathering again rather than stored. Backward returns dense gradients of the
// three tables (fp32 accumulation: atomics on CUDA, so the summation order of rows sharing
// an id is not fixed) and dgamma, dbeta (fixed order); the ids get none.
// CUDA takes H <= kMaxLayerNormCols (4096).
// Tests: KernelParity.Embeddings in tests/kernels/kernel_parity.h, one body run as the C++
// reference against torch (kernels_test) and as CUDA against the reference (kernels_gpu_test,
// ctest label gpu).
#pragma once

#include <ATen/core/Tensor.h>

namespace triage::kernels {

at::Tensor embeddings_layer_norm(const at::Tensor& input_ids, const at::Tensor& position_ids,
                                 const at::Tensor& token_type_ids, const at::Tensor& word, const at::Tensor& position,
                                 const at::Tensor& token_type, const at::Tensor& gamma, const at::Tensor& beta,
                                 double eps, double dropout_p);

}  // namespace triage::kernels
