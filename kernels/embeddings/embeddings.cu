// Fused embeddings on CUDA (contract in embeddings.h). Forward: one block per token, the
// gathered sum kept in shared memory for the two-pass statistics. Backward: a block per group
// of tokens regathers the sum, computes the LayerNorm backward, adds each token's gradient to
// the fp32 table gradients with atomics, and accumulates dgamma/dbeta partials in shared memory.
#include "kernels/common/cuda_utils.cuh"
#include "kernels/common/layer_norm.cuh"
#include "kernels/common/math.h"
#include "kernels/embeddings/embeddings_impl.h"

namespace triage::kernels::gpu {
namespace {
using cu::block_sum;
using cu::from_f;
using cu::to_f;
constexpr int kThreads = 256;

struct Rows {  // the three table rows of one token; null when an id is out of range
  long long w, p, t;  // row offsets (elements), t < 0 without a type table
  bool ok;
};

__device__ __forceinline__ Rows rows_of(const EmbeddingTables& e, long long r, int cols) {
  Rows x{};
  const long long id = e.ids[r], pid = e.pos_ids[r];
  x.ok = id >= 0 && id < e.vocab && pid >= 0 && pid < e.max_pos;
  x.w = id * cols;
  x.p = pid * cols;
  x.t = -1;
  if (e.type) {
    const long long tid = e.type_ids[r];
    x.ok = x.ok && tid >= 0 && tid < e.types;
    x.t = tid * cols;
  }
  return x;
}

template <class T>
__device__ __forceinline__ float gathered(const EmbeddingTables& e, const Rows& x, int f) {
  float v = to_f(static_cast<const T*>(e.word)[x.w + f]) + to_f(static_cast<const T*>(e.pos)[x.p + f]);
  if (x.t >= 0) v += to_f(static_cast<const T*>(e.type)[x.t + f]);
  return v;
}

template <class T>
__global__ void forward_kernel(EmbeddingTables e, const T* __restrict__ gamma, const T* __restrict__ beta, float eps,
                               float p, unsigned long long seed, int cols, T* __restrict__ y, float* __restrict__ mean_out,
                               float* __restrict__ rstd_out) {
  extern __shared__ float z[];  // [cols]
  const long long r = blockIdx.x, base = r * cols;
  const Rows x = rows_of(e, r, cols);
  if (!x.ok) {  // uniform across the block
    for (int f = threadIdx.x; f < cols; f += blockDim.x) y[base + f] = from_f<T>(__int_as_float(0x7fc00000));
    if (threadIdx.x == 0) mean_out[r] = rstd_out[r] = __int_as_float(0x7fc00000);
    return;
  }
  for (int f = threadIdx.x; f < cols; f += blockDim.x) z[f] = gathered<T>(e, x, f);
  float mean, rstd;
  cu::layer_norm_stats(z, cols, eps, mean, rstd);
  for (int f = threadIdx.x; f < cols; f += blockDim.x) {
    const float v = (z[f] - mean) * rstd * to_f(gamma[f]) + to_f(beta[f]);
    y[base + f] = from_f<T>(v * dropout_factor(seed, static_cast<uint64_t>(base + f), p));
  }
  if (threadIdx.x == 0) {
    mean_out[r] = mean;
    rstd_out[r] = rstd;
  }
}

template <class T>
__global__ void backward_kernel(EmbeddingTables e, const T* __restrict__ dy, const T* __restrict__ gamma,
                                const float* __restrict__ mean, const float* __restrict__ rstd, float p,
                                unsigned long long seed, long long rows, int cols, float* __restrict__ dword,
                                float* __restrict__ dpos, float* __restrict__ dtype, float* __restrict__ partial) {
  // [2, cols]: dgamma, dbeta. Thread f % blockDim.x alone touches column f of both rows
  // (zeroing, accumulating, writing out), so no barrier is needed around them.
  extern __shared__ float acc[];
  for (int f = threadIdx.x; f < cols; f += blockDim.x) acc[f] = acc[cols + f] = 0.0f;
  const float inv_cols = 1.0f / static_cast<float>(cols);
  for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
    const Rows x = rows_of(e, r, cols);
    if (!x.ok) continue;  // uniform across the block
    const long long base = r * cols;
    const float mu = mean[r], rs = rstd[r];
    float s1 = 0.0f, s2 = 0.0f;
    for (int f = threadIdx.x; f < cols; f += blockDim.x) {
      const float dv = to_f(dy[base + f]) * dropout_factor(seed, static_cast<uint64_t>(base + f), p);
      const float xhat = (gathered<T>(e, x, f) - mu) * rs, g = dv * to_f(gamma[f]);
      s1 += g;
      s2 += g * xhat;
      acc[f] += dv * xhat;
      acc[cols + f] += dv;
    }
    const float m1 = block_sum(s1) * inv_cols, m2 = block_sum(s2) * inv_cols;
    for (int f = threadIdx.x; f < cols; f += blockDim.x) {
      const float dv = to_f(dy[base + f]) * dropout_factor(seed, static_cast<uint64_t>(base + f), p);
      const float xhat = (gathered<T>(e, x, f) - mu) * rs;
      const float dz = rs * (dv * to_f(gamma[f]) - m1 - xhat * m2);
      atomicAdd(dword + x.w + f, dz);
      atomicAdd(dpos + x.p + f, dz);
      if (x.t >= 0) atomicAdd(dtype + x.t + f, dz);
    }
  }
  float* out = partial + blockIdx.x * 2LL * cols;
  for (int f = threadIdx.x; f < cols; f += blockDim.x) {
    out[f] = acc[f];
    out[cols + f] = acc[cols + f];
  }
}

template <class T>
void forward(const EmbeddingTables& e, const void* gamma, const void* beta, float eps, float p, uint64_t seed,
             int64_t rows, int64_t cols, void* y, float* mean, float* rstd, cudaStream_t s) {
  if (rows == 0) return;
  forward_kernel<T><<<static_cast<unsigned>(rows), kThreads, cols * sizeof(float), s>>>(
      e, static_cast<const T*>(gamma), static_cast<const T*>(beta), eps, p, seed, static_cast<int>(cols),
      static_cast<T*>(y), mean, rstd);
  TRIAGE_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void backward(const EmbeddingTables& e, const void* dy, const void* gamma, const float* mean, const float* rstd,
              float p, uint64_t seed, int64_t rows, int64_t cols, float* dword, float* dpos, float* dtype,
              void* dparams, float* partial, cudaStream_t s) {
  const int groups = row_groups(rows);
  const size_t smem = 2 * cols * sizeof(float);
  cu::allow_shared_memory(backward_kernel<T>, smem);
  backward_kernel<T><<<groups, kThreads, smem, s>>>(
      e, static_cast<const T*>(dy), static_cast<const T*>(gamma), mean, rstd, p, seed, rows, static_cast<int>(cols),
      dword, dpos, dtype, partial);
  TRIAGE_CUDA_CHECK(cudaGetLastError());
  cu::sum_partials(partial, groups, static_cast<int>(2 * cols), static_cast<T*>(dparams), s);
}
}  // namespace

void embeddings_forward(DType d, const EmbeddingTables& t, const void* gamma, const void* beta, float eps, float p,
                        uint64_t seed, int64_t rows, int64_t cols, void* y, float* mean, float* rstd, void* stream) {
  auto s = static_cast<cudaStream_t>(stream);
  if (d == DType::F32) forward<float>(t, gamma, beta, eps, p, seed, rows, cols, y, mean, rstd, s);
  else forward<__nv_bfloat16>(t, gamma, beta, eps, p, seed, rows, cols, y, mean, rstd, s);
}

void embeddings_backward(DType d, const EmbeddingTables& t, const void* dy, const void* gamma, const float* mean,
                         const float* rstd, float p, uint64_t seed, int64_t rows, int64_t cols, float* dword,
                         float* dpos, float* dtype, void* dparams, float* partial, void* stream) {
  auto s = static_cast<cudaStream_t>(stream);
  if (d == DType::F32)
    backward<float>(t, dy, gamma, mean, rstd, p, seed, rows, cols, dword, dpos, dtype, dparams, partial, s);
  else
    backward<__nv_bfloat16>(t, dy, gamma, mean, rstd, p, seed, rows, cols, dword, dpos, dtype, dparams, partial, s);
}

}  // namespace triage::kernels::gpu
