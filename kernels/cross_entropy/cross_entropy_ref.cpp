// Token cross-entropy reference: plain fp32 loops, the CPU path and the oracle of the CUDA tests.
#include <math.h>

#include <stdexcept>
#include <string>

#include "kernels/cross_entropy/cross_entropy_impl.h"

namespace triage::kernels::ref {

void token_cross_entropy(const float* logits, const int64_t* targets, int64_t rows, int64_t classes,
                         int64_t ignore_index, float* loss, float* grad) {
  int64_t count = 0;
  for (int64_t r = 0; r < rows; ++r) {
    if (targets[r] == ignore_index) continue;
    if (targets[r] < 0 || targets[r] >= classes)
      throw std::out_of_range("token_cross_entropy: target " + std::to_string(targets[r]) + " at row " +
                              std::to_string(r) + " is outside [0, " + std::to_string(classes) +
                              ") and is not ignore_index " + std::to_string(ignore_index));
    ++count;
  }
  const float inv = count > 0 ? 1.0f / static_cast<float>(count) : 0.0f;
  float total = 0.0f;
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = logits + r * classes;
    float* g = grad + r * classes;
    const int64_t t = targets[r];
    if (t == ignore_index) {
      for (int64_t c = 0; c < classes; ++c) g[c] = 0.0f;
      continue;
    }
    float mx = -INFINITY;
    for (int64_t c = 0; c < classes; ++c) mx = fmaxf(mx, x[c]);
    float sum = 0.0f;
    for (int64_t c = 0; c < classes; ++c) sum += expf(x[c] - mx);
    const float lse = mx + logf(sum);
    total += lse - x[t];
    for (int64_t c = 0; c < classes; ++c) g[c] = (expf(x[c] - lse) - (c == t ? 1.0f : 0.0f)) * inv;
  }
  *loss = total * inv;
}

}  // namespace triage::kernels::ref
