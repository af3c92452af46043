// Raw entry points of bias + GELU (contract in bias_gelu.h): the fp32 reference and the CUDA
// launchers. Row-major [rows, cols] buffers; torch-free so the .cu stays lean.
#pragma once

#include <cstdint>

#include "kernels/common/dtype.h"

namespace triage::kernels {
namespace ref {
void bias_gelu_forward(const float* x, const float* bias, float* y, int64_t rows, int64_t cols);
void bias_gelu_backward(const float* dy, const float* x, const float* bias, float* dx, float* dbias,
                        int64_t rows, int64_t cols);
}  // namespace ref
namespace gpu {
void bias_gelu_forward(DType t, const void* x, const void* bias, void* y, int64_t rows, int64_t cols,
                       void* stream);
// partial: fp32 workspace [row_groups(rows), cols].
void bias_gelu_backward(DType t, const void* dy, const void* x, const void* bias, void* dx, void* dbias,
                        float* partial, int64_t rows, int64_t cols, void* stream);
}  // namespace gpu
}  // namespace triage::kernels
