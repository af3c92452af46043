// Multi-tensor AdamW reference: the per-element update of kernels/common/math.h over one
// fp32 tensor, the CPU path and the oracle of the CUDA tests; and the per-step scalars.
#include <cmath>

#include "kernels/adamw/adamw_impl.h"

namespace triage::kernels {

AdamWScalars adamw_scalars(int64_t step, double lr, double beta1, double beta2, double eps, double weight_decay) {
  const double bc1 = 1.0 - std::pow(beta1, static_cast<double>(step));
  const double bc2 = 1.0 - std::pow(beta2, static_cast<double>(step));
  AdamWScalars s{};
  s.beta1 = static_cast<float>(beta1);
  s.beta2 = static_cast<float>(beta2);
  s.eps = static_cast<float>(eps);
  s.decay_factor = static_cast<float>(1.0 - lr * weight_decay);
  s.step_size = static_cast<float>(lr / bc1);
  s.bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  return s;
}

namespace ref {
namespace {
template <bool kDecay, bool kLerpLow>
void adamw_loop(float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v,
                int64_t numel, const AdamWScalars& s) {
  const AdamWScalars local = s;  // a local copy: the compiler need not reload it after stores
  for (int64_t i = 0; i < numel; ++i) adamw_update_t<kDecay, kLerpLow>(p[i], g[i], m[i], v[i], local);
}
}  // namespace

void adamw_tensor(float* p, const float* g, float* m, float* v, int64_t numel, const AdamWScalars& s, bool decay) {
  const bool low = 1.0f - s.beta1 < 0.5f;
  if (decay) {
    if (low) adamw_loop<true, true>(p, g, m, v, numel, s); else adamw_loop<true, false>(p, g, m, v, numel, s);
  } else {
    if (low) adamw_loop<false, true>(p, g, m, v, numel, s); else adamw_loop<false, false>(p, g, m, v, numel, s);
  }
}
}  // namespace ref

}  // namespace triage::kernels
