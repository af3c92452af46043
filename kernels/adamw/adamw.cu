// Multi-tensor AdamW on CUDA (contract in adamw.h). The tensors are cut into chunks of
// kChunk elements; blocks stride over the chunks of all tensors and find a chunk's tensor by
// binary search in the table, so one launch updates every parameter.
#include <vector>

#include "kernels/adamw/adamw_impl.h"
#include "kernels/common/cuda_utils.cuh"

namespace triage::kernels::gpu {
namespace {
using cu::from_f;
using cu::to_f;
constexpr int kThreads = 256;
constexpr long long kChunk = 16 * kThreads;
constexpr int kMaxBlocks = 4096;

__global__ void adamw_kernel(const AdamWTensor* __restrict__ table, int n, long long chunks, AdamWScalars s) {
  for (long long c = blockIdx.x; c < chunks; c += gridDim.x) {
    int lo = 0, hi = n - 1;  // last tensor with chunk_begin <= c
    while (lo < hi) {
      const int mid = (lo + hi + 1) / 2;
      if (table[mid].chunk_begin <= c) lo = mid;
      else hi = mid - 1;
    }
    const AdamWTensor t = table[lo];
    const long long begin = (c - t.chunk_begin) * kChunk;
    const long long end = begin + kChunk < t.numel ? begin + kChunk : t.numel;
    for (long long i = begin + threadIdx.x; i < end; i += blockDim.x) {
      const float g = t.grad_bf16 ? to_f(static_cast<const __nv_bfloat16*>(t.grad)[i])
                                  : static_cast<const float*>(t.grad)[i];
      float m = t.exp_avg[i], v = t.exp_avg_sq[i];
      float p = t.master ? t.master[i]
                         : (t.param_bf16 ? to_f(static_cast<const __nv_bfloat16*>(t.param)[i])
                                         : static_cast<const float*>(t.param)[i]);
      adamw_update(p, g, m, v, s, t.decay != 0);
      t.exp_avg[i] = m;
      t.exp_avg_sq[i] = v;
      if (t.master) t.master[i] = p;
      if (t.param_bf16) static_cast<__nv_bfloat16*>(t.param)[i] = from_f<__nv_bfloat16>(p);
      else static_cast<float*>(t.param)[i] = p;
    }
  }
}
}  // namespace

int64_t adamw_table_bytes(int64_t n) { return n * static_cast<int64_t>(sizeof(AdamWTensor)); }

void adamw_step(AdamWTensor* tensors, int64_t n, void* device_table, const AdamWScalars& s, void* stream) {
  if (n == 0) return;
  long long chunks = 0;
  for (int64_t i = 0; i < n; ++i) {
    tensors[i].chunk_begin = chunks;
    chunks += (tensors[i].numel + kChunk - 1) / kChunk;
  }
  if (chunks == 0) return;
  auto st = static_cast<cudaStream_t>(stream);
  // From pageable memory: returns once the table is staged, so `tensors` may go away after.
  TRIAGE_CUDA_CHECK(cudaMemcpyAsync(device_table, tensors, adamw_table_bytes(n), cudaMemcpyHostToDevice, st));
  const int blocks = chunks < kMaxBlocks ? static_cast<int>(chunks) : kMaxBlocks;
  adamw_kernel<<<blocks, kThreads, 0, st>>>(static_cast<const AdamWTensor*>(device_table), static_cast<int>(n),
                                            chunks, s);
  TRIAGE_CUDA_CHECK(cudaGetLastError());
}

}  // namespace triage::kernels::gpu
