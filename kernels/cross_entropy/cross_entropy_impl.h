// Raw entry points of the token cross-entropy (contract in cross_entropy.h): the fp32
// reference and the CUDA launcher, on row-major [rows, classes] logits. Torch-free.
#pragma once

#include <cstdint>

#include "kernels/common/dtype.h"

namespace triage::kernels {
namespace ref {
// Throws std::out_of_range naming the row for a target outside [0, classes) and not ignored.
void token_cross_entropy(const float* logits, const int64_t* targets, int64_t rows, int64_t classes,
                         int64_t ignore_index, float* loss, float* grad);
}  // namespace ref
namespace gpu {
// loss: one fp32 on the device; workspace: fp32 [rows + 1].
void token_cross_entropy(DType t, const void* logits, const int64_t* targets, int64_t rows, int64_t classes,
                         int64_t ignore_index, float* loss, void* grad, float* workspace, void* stream);
}  // namespace gpu
}  // namespace triage::kernels
