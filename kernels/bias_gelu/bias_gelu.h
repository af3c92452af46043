// Bias + GELU, exact erf form (BERT's "gelu"): y = gelu(x + bias), the activation of the
// intermediate dense layer with that layer's bias add folded in.
//
// Contract
//   x     [..., F]  Float or BFloat16: the matmul output without its bias; any strides
//   bias  [F]       cast to x's dtype (differentiably) before the op
//   y     [..., F]  x's dtype, new tensor (not in place)
// Backward accumulates nothing in place: dx = dy * gelu'(x + bias) in x's dtype;
// dbias = sum of dx over the leading dims, accumulated in fp32 in a fixed order and
// rounded once. Internal math is fp32 in every dtype.
// CPU runs the fp32 reference (bias_gelu_ref.cpp), CUDA runs bias_gelu.cu.
// Tests: KernelParity.BiasGelu in tests/kernels/kernel_parity.h, one body run as the C++
// reference against torch (kernels_test) and as CUDA against the reference (kernels_gpu_test,
// ctest label gpu).
#pragma once

#include <ATen/core/Tensor.h>

namespace triage::kernels {

at::Tensor bias_gelu(const at::Tensor& x, const at::Tensor& bias);

}  // namespace triage::kernels
