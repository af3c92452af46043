// Device helpers shared by the .cu files: bf16/fp32 loads and
// stores, warp and block sums, and the deterministic column reduction of per-block
// partial sums (used for the bias, gamma and beta gradients). CUDA and standard headers only.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include "core/check.h"  // TRIAGE_CUDA_CHECK: every CUDA runtime call goes through it
#include "kernels/common/dtype.h"

namespace triage::kernels::cu {

__device__ __forceinline__ float to_f(float x) { return x; }
__device__ __forceinline__ float to_f(__nv_bfloat16 x) { return __bfloat162float(x); }
template <class T> __device__ __forceinline__ T from_f(float x);
template <> __device__ __forceinline__ float from_f<float>(float x) { return x; }
template <> __device__ __forceinline__ __nv_bfloat16 from_f<__nv_bfloat16>(float x) {
  return __float2bfloat16_rn(x);
}

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
__device__ __forceinline__ float block_sum(float v) {
  __shared__ float sh[32];
  const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
  v = warp_sum(v);
  __syncthreads();  // an earlier call's readers of sh[0] are done
  if (lane == 0) sh[wid] = v;
  __syncthreads();
  if (wid == 0) {
    v = lane < nw ? sh[lane] : 0.0f;
    v = warp_sum(v);
    if (lane == 0) sh[0] = v;
  }
  __syncthreads();
  return sh[0];
}

// out[f] = sum_g partial[g, f]; partial: [groups, cols] fp32. Fixed order: deterministic.
template <class T>
__global__ void sum_partials_kernel(const float* __restrict__ partial, int groups, int cols,
                                    T* __restrict__ out) {
  const int f = blockIdx.x * blockDim.x + threadIdx.x;
  if (f >= cols) return;
  float s = 0.0f;
  for (int g = 0; g < groups; ++g) s += partial[static_cast<size_t>(g) * cols + f];
  out[f] = from_f<T>(s);
}
template <class T>
inline void sum_partials(const float* partial, int groups, int cols, T* out, cudaStream_t stream) {
  if (cols == 0) return;
  sum_partials_kernel<T><<<(cols + 255) / 256, 256, 0, stream>>>(partial, groups, cols, out);
  TRIAGE_CUDA_CHECK(cudaGetLastError());
}

// Opts a kernel in to more than the default 48 KB of shared memory when it needs it
// (static __shared__ of block_sum included in the margin).
template <class Kernel>
inline void allow_shared_memory(Kernel kernel, size_t dynamic_bytes) {
  if (dynamic_bytes > 46 * 1024)
    TRIAGE_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                           static_cast<int>(dynamic_bytes)));
}

inline int div_up(long long a, long long b) { return static_cast<int>((a + b - 1) / b); }

}  // namespace triage::kernels::cu
