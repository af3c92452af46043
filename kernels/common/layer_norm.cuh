// LayerNorm row pieces for CUDA kernels that end in a LayerNorm (embeddings, residual):
// one block per row, thread t owns columns t, t + blockDim.x, ... (so per-column partial
// sums in shared memory need no atomics), block-wide sums for the statistics.
#pragma once

#include "kernels/common/cuda_utils.cuh"

namespace triage::kernels::cu {

// Mean and rstd of the row z[0, cols) (shared memory, written by the owning threads).
__device__ __forceinline__ void layer_norm_stats(const float* z, int cols, float eps, float& mean, float& rstd) {
  float s = 0.0f;
  for (int f = threadIdx.x; f < cols; f += blockDim.x) s += z[f];
  mean = block_sum(s) / static_cast<float>(cols);
  float q = 0.0f;
  for (int f = threadIdx.x; f < cols; f += blockDim.x) {
    const float d = z[f] - mean;
    q += d * d;
  }
  rstd = rsqrtf(block_sum(q) / static_cast<float>(cols) + eps);
}

}  // namespace triage::kernels::cu
