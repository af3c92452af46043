// Bias + dropout + residual add + LayerNorm: the tail of BERT's BertSelfOutput and
// BertOutput, y = LayerNorm(dropout(h + bias) + residual) * gamma + beta, in one pass.
//
// Contract
//   h         [..., H]  Float or BFloat16: the dense layer's matmul output without its bias
//   bias      [H]       the dense layer's bias
//   residual  [..., H]  same shape as h
//   gamma, beta [H]     LayerNorm weight and bias; bias/gamma/beta/residual cast to h's dtype
//   eps                 LayerNorm epsilon; dropout_p in [0, 1), 0 in evaluation
//   y         [..., H]  h's dtype, new tensor
// Statistics in fp32 (biased variance, as torch). Dropout is inverted dropout with the
// counter-based mask of kernels/common/math.h (seed drawn from torch's CPU generator).
// Saved for backward: z = dropout(h + bias) + residual (h's dtype), mean and rstd (fp32
// per row), the seed. Backward returns, without accumulating in place:
//   dresidual = dz,  dh = dz * mask / (1 - p),  dbias = sum dh,
//   dgamma = sum dy * xhat,  dbeta = sum dy  (fp32 accumulation, rounded once).
// CUDA takes H <= kMaxLayerNormCols (4096); the CPU reference takes any H.
// Tests: KernelParity.ResidualLayerNorm in tests/kernels/kernel_parity.h, one body run as the C++
// reference against torch (kernels_test) and as CUDA against the reference (kernels_gpu_test,
// ctest label gpu).
#pragma once

#include <ATen/core/Tensor.h>

namespace triage::kernels {

at::Tensor residual_layer_norm(const at::Tensor& h, const at::Tensor& bias, const at::Tensor& residual,
                               const at::Tensor& gamma, const at::Tensor& beta, double eps, double dropout_p);

}  // namespace triage::kernels
