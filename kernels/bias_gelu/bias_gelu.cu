// Bias + GELU on CUDA (contract in bias_gelu.h). Forward: one grid-stride elementwise pass.
// Backward: each block walks a group of rows, threads own columns, so the bias-gradient
// partials accumulate in shared memory without atomics; a second kernel sums the groups.
#include "kernels/bias_gelu/bias_gelu_impl.h"
#include "kernels/common/cuda_utils.cuh"
#include "kernels/common/math.h"

namespace triage::kernels::gpu {
namespace {
using cu::from_f;
using cu::to_f;

template <class T>
__global__ void forward_kernel(const T* __restrict__ x, const T* __restrict__ bias, T* __restrict__ y,
                               long long n, int cols) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x)
    y[i] = from_f<T>(gelu_erf(to_f(x[i]) + to_f(bias[i % cols])));
}

template <class T>
__global__ void backward_kernel(const T* __restrict__ dy, const T* __restrict__ x, const T* __restrict__ bias,
                                T* __restrict__ dx, float* __restrict__ partial, long long rows, int cols) {
  extern __shared__ float acc[];  // [cols], column f owned by thread f % blockDim.x
  for (int f = threadIdx.x; f < cols; f += blockDim.x) acc[f] = 0.0f;
  for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
    const long long base = r * cols;
    for (int f = threadIdx.x; f < cols; f += blockDim.x) {
      const float g = to_f(dy[base + f]) * gelu_erf_grad(to_f(x[base + f]) + to_f(bias[f]));
      dx[base + f] = from_f<T>(g);
      acc[f] += g;
    }
  }
  for (int f = threadIdx.x; f < cols; f += blockDim.x) partial[blockIdx.x * static_cast<long long>(cols) + f] = acc[f];
}

template <class T>
void forward(const void* x, const void* bias, void* y, int64_t rows, int64_t cols, cudaStream_t s) {
  const long long n = rows * cols;
  if (n == 0) return;
  const int blocks = n / 256 + 1 < 65536 ? static_cast<int>(n / 256 + 1) : 65536;
  forward_kernel<T><<<blocks, 256, 0, s>>>(static_cast<const T*>(x), static_cast<const T*>(bias),
                                           static_cast<T*>(y), n, static_cast<int>(cols));
  TRIAGE_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void backward(const void* dy, const void* x, const void* bias, void* dx, void* dbias, float* partial,
              int64_t rows, int64_t cols, cudaStream_t s) {
  if (cols == 0) return;
  const int groups = row_groups(rows);
  const size_t smem = static_cast<size_t>(cols) * sizeof(float);
  cu::allow_shared_memory(backward_kernel<T>, smem);
  backward_kernel<T><<<groups, 256, smem, s>>>(static_cast<const T*>(dy), static_cast<const T*>(x),
                                               static_cast<const T*>(bias), static_cast<T*>(dx), partial,
                                               rows, static_cast<int>(cols));
  TRIAGE_CUDA_CHECK(cudaGetLastError());
  cu::sum_partials(partial, groups, static_cast<int>(cols), static_cast<T*>(dbias), s);
}
}  // namespace

void bias_gelu_forward(DType t, const void* x, const void* bias, void* y, int64_t rows, int64_t cols,
                       void* stream) {
  auto s = static_cast<cudaStream_t>(stream);
  if (t == DType::F32) forward<float>(x, bias, y, rows, cols, s);
  else forward<__nv_bfloat16>(x, bias, y, rows, cols, s);
}

void bias_gelu_backward(DType t, const void* dy, const void* x, const void* bias, void* dx, void* dbias,
                        float* partial, int64_t rows, int64_t cols, void* stream) {
  auto s = static_cast<cudaStream_t>(stream);
  if (t == DType::F32) backward<float>(dy, x, bias, dx, dbias, partial, rows, cols, s);
  else backward<__nv_bfloat16>(dy, x, bias, dx, dbias, partial, rows, cols, s);
}

}  // namespace triage::kernels::gpu
