// Raw entry points of bias + dropout + residual + LayerNorm (contract in
// residual_layer_norm.h): the fp32 reference and the CUDA launchers, on row-major
// [rows, cols] buffers. Torch-free.
#pragma once

#include <cstdint>

#include "kernels/common/dtype.h"

namespace triage::kernels {
namespace ref {
void residual_layer_norm_forward(const float* h, const float* bias, const float* residual, const float* gamma,
                                 const float* beta, float eps, float p, uint64_t seed, int64_t rows, int64_t cols,
                                 float* y, float* z, float* mean, float* rstd);
// dparams: [3, cols] = dgamma, dbeta, dbias.
void residual_layer_norm_backward(const float* dy, const float* z, const float* mean, const float* rstd,
                                  const float* gamma, float p, uint64_t seed, int64_t rows, int64_t cols,
                                  float* dz, float* dh, float* dparams);
}  // namespace ref
namespace gpu {
void residual_layer_norm_forward(DType t, const void* h, const void* bias, const void* residual, const void* gamma,
                                 const void* beta, float eps, float p, uint64_t seed, int64_t rows, int64_t cols,
                                 void* y, void* z, float* mean, float* rstd, void* stream);
// dparams: [3, cols] of type t = dgamma, dbeta, dbias; partial: fp32 [row_groups(rows), 3 * cols].
void residual_layer_norm_backward(DType t, const void* dy, const void* z, const float* mean, const float* rstd,
                                  const void* gamma, float p, uint64_t seed, int64_t rows, int64_t cols, void* dz,
                                  void* dh, void* dparams, float* partial, void* stream);
}  // namespace gpu
}  // namespace triage::kernels
