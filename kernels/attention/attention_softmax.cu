// Attention softmax on CUDA (contract in attention_softmax.h): one warp per score row, the
// row held in registers (up to 16 values per lane, Sk <= 512), warp shuffles for max and sum.
#include "kernels/attention/attention_softmax_impl.h"
#include "kernels/common/cuda_utils.cuh"
#include "kernels/common/math.h"

namespace triage::kernels::gpu {
namespace {
using cu::from_f;
using cu::to_f;
constexpr int kPerLane = static_cast<int>(kMaxAttentionKeys / 32);
constexpr int kWarps = 4;

template <class T>
__global__ void forward_kernel(const T* __restrict__ scores, const uint8_t* __restrict__ key_mask, float scale,
                               float p, unsigned long long seed, AttentionShape s, T* __restrict__ y,
                               T* __restrict__ out) {
  const long long r = blockIdx.x * static_cast<long long>(kWarps) + (threadIdx.x >> 5);
  if (r >= s.rows) return;  // whole warps exit together
  const int lane = threadIdx.x & 31, keys = static_cast<int>(s.keys);
  const T* x = scores + r * keys;
  const uint8_t* m = key_mask + (r / s.rows_per_item) * keys;
  float v[kPerLane];
  float mx = -INFINITY;
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    const int k = lane + 32 * i;
    v[i] = (k < keys && m[k]) ? to_f(x[k]) * scale : -INFINITY;
    mx = fmaxf(mx, v[i]);
  }
  mx = cu::warp_max(mx);
  float sum = 0.0f;
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    v[i] = v[i] == -INFINITY ? 0.0f : expf(v[i] - mx);
    sum += v[i];
  }
  sum = cu::warp_sum(sum);
  const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;  // all keys masked: a zero row
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    const int k = lane + 32 * i;
    if (k >= keys) break;
    const long long idx = r * keys + k;
    const float prob = v[i] * inv;
    y[idx] = from_f<T>(prob);
    if (out != y) out[idx] = from_f<T>(prob * dropout_factor(seed, static_cast<uint64_t>(idx), p));
  }
}

template <class T>
__global__ void backward_kernel(const T* __restrict__ dout, const T* __restrict__ y, float scale, float p,
                                unsigned long long seed, AttentionShape s, T* __restrict__ dscores) {
  const long long r = blockIdx.x * static_cast<long long>(kWarps) + (threadIdx.x >> 5);
  if (r >= s.rows) return;
  const int lane = threadIdx.x & 31, keys = static_cast<int>(s.keys);
  float g[kPerLane], yy[kPerLane];
  float dot = 0.0f;
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    const int k = lane + 32 * i;
    const long long idx = r * keys + k;
    g[i] = k < keys ? to_f(dout[idx]) * dropout_factor(seed, static_cast<uint64_t>(idx), p) : 0.0f;
    yy[i] = k < keys ? to_f(y[idx]) : 0.0f;
    dot += g[i] * yy[i];
  }
  dot = cu::warp_sum(dot);
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    const int k = lane + 32 * i;
    if (k >= keys) break;
    dscores[r * keys + k] = from_f<T>(scale * yy[i] * (g[i] - dot));
  }
}

template <class T>
void forward(const void* scores, const uint8_t* key_mask, float scale, float p, uint64_t seed, const AttentionShape& s,
             void* y, void* out, cudaStream_t st) {
  if (s.rows == 0 || s.keys == 0) return;
  forward_kernel<T><<<cu::div_up(s.rows, kWarps), 32 * kWarps, 0, st>>>(
      static_cast<const T*>(scores), key_mask, scale, p, seed, s, static_cast<T*>(y), static_cast<T*>(out));
  TRIAGE_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void backward(const void* dout, const void* y, float scale, float p, uint64_t seed, const AttentionShape& s,
              void* dscores, cudaStream_t st) {
  if (s.rows == 0 || s.keys == 0) return;
  backward_kernel<T><<<cu::div_up(s.rows, kWarps), 32 * kWarps, 0, st>>>(
      static_cast<const T*>(dout), static_cast<const T*>(y), scale, p, seed, s, static_cast<T*>(dscores));
  TRIAGE_CUDA_CHECK(cudaGetLastError());
}
}  // namespace

void attention_softmax_forward(DType t, const void* scores, const uint8_t* key_mask, float scale, float p,
                               uint64_t seed, const AttentionShape& s, void* y, void* out, void* stream) {
  if (s.keys > kMaxAttentionKeys) throw std::invalid_argument("attention_softmax: more than 512 keys");
  auto st = static_cast<cudaStream_t>(stream);
  if (t == DType::F32) forward<float>(scores, key_mask, scale, p, seed, s, y, out, st);
  else forward<__nv_bfloat16>(scores, key_mask, scale, p, seed, s, y, out, st);
}

void attention_softmax_backward(DType t, const void* dout, const void* y, float scale, float p, uint64_t seed,
                                const AttentionShape& s, void* dscores, void* stream) {
  if (s.keys > kMaxAttentionKeys) throw std::invalid_argument("attention_softmax: more than 512 keys");
  auto st = static_cast<cudaStream_t>(stream);
  if (t == DType::F32) backward<float>(dout, y, scale, p, seed, s, dscores, st);
  else backward<__nv_bfloat16>(dout, y, scale, p, seed, s, dscores, st);
}

}  // namespace triage::kernels::gpu
