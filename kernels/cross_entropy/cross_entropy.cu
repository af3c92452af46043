// Token cross-entropy on CUDA (contract in cross_entropy.h): a one-block count of labelled
// rows, then one warp per row (max, sum of exponentials, loss and gradient in three sweeps
// of a row that stays in L1/L2), then a one-block fixed-order sum of the row losses.
#include "kernels/common/cuda_utils.cuh"
#include "kernels/cross_entropy/cross_entropy_impl.h"

namespace triage::kernels::gpu {
namespace {
using cu::from_f;
using cu::to_f;
constexpr int kWarps = 8;

// workspace[rows] = number of rows with target != ignore.
__global__ void count_kernel(const int64_t* __restrict__ targets, long long rows, long long ignore,
                             float* __restrict__ workspace) {
  float n = 0.0f;
  for (long long r = threadIdx.x; r < rows; r += blockDim.x) n += targets[r] != ignore ? 1.0f : 0.0f;
  n = cu::block_sum(n);
  if (threadIdx.x == 0) workspace[rows] = n;
}

template <class T>
__global__ void row_kernel(const T* __restrict__ logits, const int64_t* __restrict__ targets, long long rows,
                           int classes, long long ignore, T* __restrict__ grad, float* __restrict__ workspace) {
  const long long r = blockIdx.x * static_cast<long long>(kWarps) + (threadIdx.x >> 5);
  if (r >= rows) return;
  const int lane = threadIdx.x & 31;
  const T* x = logits + r * classes;
  T* g = grad + r * classes;
  const long long t = targets[r];
  if (t == ignore) {
    for (int c = lane; c < classes; c += 32) g[c] = from_f<T>(0.0f);
    if (lane == 0) workspace[r] = 0.0f;
    return;
  }
  const float count = workspace[rows], inv = count > 0.0f ? 1.0f / count : 0.0f;
  if (t < 0 || t >= classes) {
    const float nan = __int_as_float(0x7fc00000);
    for (int c = lane; c < classes; c += 32) g[c] = from_f<T>(nan);
    if (lane == 0) workspace[r] = nan;
    return;
  }
  float mx = -INFINITY;
  for (int c = lane; c < classes; c += 32) mx = fmaxf(mx, to_f(x[c]));
  mx = cu::warp_max(mx);
  float sum = 0.0f;
  for (int c = lane; c < classes; c += 32) sum += expf(to_f(x[c]) - mx);
  const float lse = mx + logf(cu::warp_sum(sum));
  for (int c = lane; c < classes; c += 32)
    g[c] = from_f<T>((expf(to_f(x[c]) - lse) - (c == t ? 1.0f : 0.0f)) * inv);
  if (lane == 0) workspace[r] = lse - to_f(x[t]);
}

__global__ void finish_kernel(const float* __restrict__ workspace, long long rows, float* __restrict__ loss) {
  float s = 0.0f;
  for (long long r = threadIdx.x; r < rows; r += blockDim.x) s += workspace[r];
  s = cu::block_sum(s);
  if (threadIdx.x == 0) {
    const float count = workspace[rows];
    *loss = count > 0.0f ? s / count : 0.0f;
  }
}

template <class T>
void run(const void* logits, const int64_t* targets, int64_t rows, int64_t classes, int64_t ignore, float* loss,
         void* grad, float* ws, cudaStream_t s) {
  count_kernel<<<1, 1024, 0, s>>>(targets, rows, ignore, ws);
  TRIAGE_CUDA_CHECK(cudaGetLastError());
  if (rows > 0) {
    row_kernel<T><<<cu::div_up(rows, kWarps), 32 * kWarps, 0, s>>>(static_cast<const T*>(logits), targets, rows,
                                                                   static_cast<int>(classes), ignore,
                                                                   static_cast<T*>(grad), ws);
    TRIAGE_CUDA_CHECK(cudaGetLastError());
  }
  finish_kernel<<<1, 1024, 0, s>>>(ws, rows, loss);
  TRIAGE_CUDA_CHECK(cudaGetLastError());
}
}  // namespace

void token_cross_entropy(DType t, const void* logits, const int64_t* targets, int64_t rows, int64_t classes,
                         int64_t ignore_index, float* loss, void* grad, float* workspace, void* stream) {
  auto s = static_cast<cudaStream_t>(stream);
  if (t == DType::F32) run<float>(logits, targets, rows, classes, ignore_index, loss, grad, workspace, s);
  else run<__nv_bfloat16>(logits, targets, rows, classes, ignore_index, loss, grad, workspace, s);
}

}  // namespace triage::kernels::gpu
