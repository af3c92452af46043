// Attention softmax reference: plain fp32 loops, the CPU path and the oracle of the CUDA tests.
#include <math.h>

#include "kernels/attention/attention_softmax_impl.h"
#include "kernels/common/math.h"

namespace triage::kernels::ref {

void attention_softmax_forward(const float* scores, const uint8_t* key_mask, float scale, float p, uint64_t seed,
                               const AttentionShape& s, float* y, float* out) {
  for (int64_t r = 0; r < s.rows; ++r) {
    const float* x = scores + r * s.keys;
    const uint8_t* m = key_mask + (r / s.rows_per_item) * s.keys;
    float* yr = y + r * s.keys;
    float mx = -INFINITY;
    for (int64_t k = 0; k < s.keys; ++k)
      if (m[k]) mx = fmaxf(mx, x[k] * scale);
    float sum = 0.0f;
    for (int64_t k = 0; k < s.keys; ++k) {
      yr[k] = m[k] ? expf(x[k] * scale - mx) : 0.0f;
      sum += yr[k];
    }
    const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;  // all keys masked: a zero row
    for (int64_t k = 0; k < s.keys; ++k) {
      yr[k] *= inv;
      out[r * s.keys + k] = yr[k] * dropout_factor(seed, static_cast<uint64_t>(r * s.keys + k), p);
    }
  }
}

void attention_softmax_backward(const float* dout, const float* y, float scale, float p, uint64_t seed,
                                const AttentionShape& s, float* dscores) {
  for (int64_t r = 0; r < s.rows; ++r) {
    const float* yr = y + r * s.keys;
    float* d = dscores + r * s.keys;
    float dot = 0.0f;
    for (int64_t k = 0; k < s.keys; ++k) {
      d[k] = dout[r * s.keys + k] * dropout_factor(seed, static_cast<uint64_t>(r * s.keys + k), p);
      dot += d[k] * yr[k];
    }
    for (int64_t k = 0; k < s.keys; ++k) d[k] = scale * yr[k] * (d[k] - dot);
  }
}

}  // namespace triage::kernels::ref
