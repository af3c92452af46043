// Attention core between the two batched matmuls: scale, key-padding mask, softmax over the
// keys and dropout, P = dropout(softmax(scale * S, masked)), with S = Q K^T. The matmuls stay
// with cuBLAS (torch); this op replaces the chain of eager kernels in between.
//
// Contract
//   scores    [B, heads, Sq, Sk]  Float or BFloat16, unscaled Q K^T; any strides
//   key_mask  [B, Sk]             bool or integer, nonzero = attend to that key
//   scale     usually 1 / sqrt(head_dim); dropout_p in [0, 1), 0 in evaluation
//   P         [B, heads, Sq, Sk]  scores' dtype. Masked keys get exactly 0; a row whose keys
//             are all masked (an all-padding sequence) is all zeros, not NaN (as torch's
//             scaled_dot_product_attention since 2.5)
// Softmax in fp32 whatever the dtype. Saved for backward: the probabilities before dropout
// (scores' dtype) and the seed. Backward: dS = scale * Y * (G - sum_k G * Y) with
// G = dP * mask / (1 - p); no gradient for the mask.
// CUDA takes Sk <= kMaxAttentionKeys (512), one warp per row; the CPU reference any Sk.
// Tests: KernelParity.AttentionSoftmax in tests/kernels/kernel_parity.h, one body run as the C++
// reference against torch (kernels_test) and as CUDA against the reference (kernels_gpu_test,
// ctest label gpu).
#pragma once

#include <ATen/core/Tensor.h>

namespace triage::kernels {

at::Tensor attention_softmax(const at::Tensor& scores, const at::Tensor& key_mask, double scale, double dropout_p);

}  // namespace triage::kernels
