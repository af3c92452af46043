// Per-element arithmetic shared by the C++ references (the CPU path) and the CUDA kernels,
// so the CPU tests exercise the same formulas the GPU runs: exact (erf) GELU and its
// derivative, the counter-based dropout mask, and the AdamW update of one element.
// Torch-free and CUDA-free: compiles as plain C++ and under nvcc (__host__ __device__).
#pragma once

#include <math.h>
#include <stdint.h>

#if defined(__CUDACC__)
#define TRIAGE_HD __host__ __device__ __forceinline__
#else
#define TRIAGE_HD inline
#endif

namespace triage::kernels {

// GELU, exact form (BERT's "gelu"): x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)).
TRIAGE_HD float gelu_erf(float x) { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)); }

// d/dx gelu_erf(x) = Phi(x) + x phi(x), as torch's GeluBackward (approximate="none").
TRIAGE_HD float gelu_erf_grad(float x) {
  const float cdf = 0.5f * (1.0f + erff(x * 0.70710678118654752f));
  const float pdf = expf(-0.5f * x * x) * 0.39894228040143268f;  // 1 / sqrt(2 pi)
  return cdf + x * pdf;
}

// Dropout mask from a counter-based hash of (seed, element index): the same seed gives the
// same mask on every device and in backward (which recomputes it instead of storing it).
// A splitmix64 finaliser; 24 bits of it form a uniform in [0, 1).
TRIAGE_HD float dropout_uniform(uint64_t seed, uint64_t index) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<float>(static_cast<uint32_t>(z >> 40)) * (1.0f / 16777216.0f);
}
// Keep-and-rescale factor of element `index`: 1 / (1 - p) when kept, 0 when dropped, 1 when
// p == 0. Inverted dropout as torch's: E[factor] == 1.
TRIAGE_HD float dropout_factor(uint64_t seed, uint64_t index, float p) {
  if (p <= 0.0f) return 1.0f;
  return dropout_uniform(seed, index) >= p ? 1.0f / (1.0f - p) : 0.0f;
}

// AdamW step scalars, computed once per step on the host (double) and rounded to float.
struct AdamWScalars {
  float beta1, beta2, eps;
  float decay_factor;  // 1 - lr * weight_decay
  float step_size;     // lr / (1 - beta1^step)
  float bc2_sqrt;      // sqrt(1 - beta2^step)
};

// One element of torch.optim.AdamW (decoupled weight decay), in torch's order of operations:
// p *= 1 - lr wd; m = lerp(m, g, 1 - beta1); v = beta2 v + (1 - beta2) g^2;
// p -= step_size * m / (sqrt(v) / bc2_sqrt + eps).
// kDecay / kLerpLow fixed at compile time let the CPU loop vectorize (no branch per element);
// adamw_update picks the instance at run time (the CUDA kernel).
template <bool kDecay, bool kLerpLow>
TRIAGE_HD void adamw_update_t(float& p, float g, float& m, float& v, const AdamWScalars& s) {
  if (kDecay) p *= s.decay_factor;
  const float w = 1.0f - s.beta1;  // torch's lerp: kLerpLow = (w < 0.5)
  m = kLerpLow ? m + w * (g - m) : g - (g - m) * (1.0f - w);
  v = v * s.beta2 + (1.0f - s.beta2) * g * g;
  const float denom = sqrtf(v) / s.bc2_sqrt + s.eps;
  p = p + (-s.step_size) * (m / denom);
}

TRIAGE_HD void adamw_update(float& p, float g, float& m, float& v, const AdamWScalars& s, bool decay) {
  const bool low = 1.0f - s.beta1 < 0.5f;
  if (decay) {
    if (low) adamw_update_t<true, true>(p, g, m, v, s); else adamw_update_t<true, false>(p, g, m, v, s);
  } else {
    if (low) adamw_update_t<false, true>(p, g, m, v, s); else adamw_update_t<false, false>(p, g, m, v, s);
  }
}

}  // namespace triage::kernels
