// Bias + dropout + residual + LayerNorm on CUDA (contract in residual_layer_norm.h).
// Forward: one block per row, the pre-norm row z kept in shared memory for the two-pass
// statistics. Backward: a block per group of rows; threads own columns, so the dgamma,
// dbeta and dbias partials accumulate in shared memory; a second kernel sums the groups.
#include "kernels/common/cuda_utils.cuh"
#include "kernels/common/layer_norm.cuh"
#include "kernels/common/math.h"
#include "kernels/residual_layer_norm/residual_layer_norm_impl.h"

namespace triage::kernels::gpu {
namespace {
using cu::block_sum;
using cu::from_f;
using cu::to_f;
constexpr int kThreads = 256;

template <class T>
__global__ void forward_kernel(const T* __restrict__ h, const T* __restrict__ bias, const T* __restrict__ residual,
                               const T* __restrict__ gamma, const T* __restrict__ beta, float eps, float p,
                               unsigned long long seed, int cols, T* __restrict__ y, T* __restrict__ z_out,
                               float* __restrict__ mean_out, float* __restrict__ rstd_out) {
  extern __shared__ float z[];  // [cols]
  const long long r = blockIdx.x, base = r * cols;
  for (int f = threadIdx.x; f < cols; f += blockDim.x) {
    const long long i = base + f;
    const float v = (to_f(h[i]) + to_f(bias[f])) * dropout_factor(seed, static_cast<uint64_t>(i), p) + to_f(residual[i]);
    z[f] = v;
    z_out[i] = from_f<T>(v);
  }
  float mean, rstd;
  cu::layer_norm_stats(z, cols, eps, mean, rstd);
  for (int f = threadIdx.x; f < cols; f += blockDim.x)
    y[base + f] = from_f<T>((z[f] - mean) * rstd * to_f(gamma[f]) + to_f(beta[f]));
  if (threadIdx.x == 0) {
    mean_out[r] = mean;
    rstd_out[r] = rstd;
  }
}

template <class T>
__global__ void backward_kernel(const T* __restrict__ dy, const T* __restrict__ z, const float* __restrict__ mean,
                                const float* __restrict__ rstd, const T* __restrict__ gamma, float p,
                                unsigned long long seed, long long rows, int cols, T* __restrict__ dz,
                                T* __restrict__ dh, float* __restrict__ partial) {
  // [3, cols]: dgamma, dbeta, dbias. Thread f % blockDim.x alone touches column f of all
  // three rows (zeroing, accumulating, writing out), so no barrier is needed around them.
  extern __shared__ float acc[];
  for (int f = threadIdx.x; f < cols; f += blockDim.x) acc[f] = acc[cols + f] = acc[2 * cols + f] = 0.0f;
  const float inv_cols = 1.0f / static_cast<float>(cols);
  for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
    const long long base = r * cols;
    const float mu = mean[r], rs = rstd[r];
    float s1 = 0.0f, s2 = 0.0f;
    for (int f = threadIdx.x; f < cols; f += blockDim.x) {
      const float d = to_f(dy[base + f]), xhat = (to_f(z[base + f]) - mu) * rs, g = d * to_f(gamma[f]);
      s1 += g;
      s2 += g * xhat;
      acc[f] += d * xhat;
      acc[cols + f] += d;
    }
    const float m1 = block_sum(s1) * inv_cols, m2 = block_sum(s2) * inv_cols;
    for (int f = threadIdx.x; f < cols; f += blockDim.x) {
      const long long i = base + f;
      const float xhat = (to_f(z[i]) - mu) * rs;
      const float g = rs * (to_f(dy[i]) * to_f(gamma[f]) - m1 - xhat * m2);
      const float gh = g * dropout_factor(seed, static_cast<uint64_t>(i), p);
      dz[i] = from_f<T>(g);
      dh[i] = from_f<T>(gh);
      acc[2 * cols + f] += gh;
    }
  }
  float* out = partial + blockIdx.x * 3LL * cols;
  for (int f = threadIdx.x; f < cols; f += blockDim.x) {
    out[f] = acc[f];
    out[cols + f] = acc[cols + f];
    out[2 * cols + f] = acc[2 * cols + f];
  }
}

template <class T>
void forward(const void* h, const void* bias, const void* residual, const void* gamma, const void* beta, float eps,
             float p, uint64_t seed, int64_t rows, int64_t cols, void* y, void* z, float* mean, float* rstd,
             cudaStream_t s) {
  if (rows == 0) return;
  forward_kernel<T><<<static_cast<unsigned>(rows), kThreads, cols * sizeof(float), s>>>(
      static_cast<const T*>(h), static_cast<const T*>(bias), static_cast<const T*>(residual),
      static_cast<const T*>(gamma), static_cast<const T*>(beta), eps, p, seed, static_cast<int>(cols),
      static_cast<T*>(y), static_cast<T*>(z), mean, rstd);
  TRIAGE_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void backward(const void* dy, const void* z, const float* mean, const float* rstd, const void* gamma, float p,
              uint64_t seed, int64_t rows, int64_t cols, void* dz, void* dh, void* dparams, float* partial,
              cudaStream_t s) {
  const int groups = row_groups(rows);
  const size_t smem = 3 * cols * sizeof(float);
  cu::allow_shared_memory(backward_kernel<T>, smem);
  backward_kernel<T><<<groups, kThreads, smem, s>>>(
      static_cast<const T*>(dy), static_cast<const T*>(z), mean, rstd, static_cast<const T*>(gamma), p, seed, rows,
      static_cast<int>(cols), static_cast<T*>(dz), static_cast<T*>(dh), partial);
  TRIAGE_CUDA_CHECK(cudaGetLastError());
  cu::sum_partials(partial, groups, static_cast<int>(3 * cols), static_cast<T*>(dparams), s);
}
}  // namespace

void residual_layer_norm_forward(DType t, const void* h, const void* bias, const void* residual, const void* gamma,
                                 const void* beta, float eps, float p, uint64_t seed, int64_t rows, int64_t cols,
                                 void* y, void* z, float* mean, float* rstd, void* stream) {
  auto s = static_cast<cudaStream_t>(stream);
  if (t == DType::F32) forward<float>(h, bias, residual, gamma, beta, eps, p, seed, rows, cols, y, z, mean, rstd, s);
  else forward<__nv_bfloat16>(h, bias, residual, gamma, beta, eps, p, seed, rows, cols, y, z, mean, rstd, s);
}

void residual_layer_norm_backward(DType t, const void* dy, const void* z, const float* mean, const float* rstd,
                                  const void* gamma, float p, uint64_t seed, int64_t rows, int64_t cols, void* dz,
                                  void* dh, void* dparams, float* partial, void* stream) {
  auto s = static_cast<cudaStream_t>(stream);
  if (t == DType::F32) backward<float>(dy, z, mean, rstd, gamma, p, seed, rows, cols, dz, dh, dparams, partial, s);
  else backward<__nv_bfloat16>(dy, z, mean, rstd, gamma, p, seed, rows, cols, dz, dh, dparams, partial, s);
}

}  // namespace triage::kernels::gpu
