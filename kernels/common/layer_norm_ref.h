// One LayerNorm row in plain fp32 C++, shared by the references of the fused ops that end in
// a LayerNorm (embeddings, residual). Biased variance, two passes, as torch's layer_norm.
#pragma once

#include <math.h>
#include <stdint.h>

namespace triage::kernels::ref {

// y = (z - mean) * rstd * gamma + beta; returns mean and rstd = 1 / sqrt(var + eps).
inline void layer_norm_row(const float* z, const float* gamma, const float* beta, float eps, int64_t cols,
                           float* y, float* mean_out, float* rstd_out) {
  float s = 0.0f;
  for (int64_t f = 0; f < cols; ++f) s += z[f];
  const float mean = s / static_cast<float>(cols);
  float q = 0.0f;
  for (int64_t f = 0; f < cols; ++f) q += (z[f] - mean) * (z[f] - mean);
  const float rstd = 1.0f / sqrtf(q / static_cast<float>(cols) + eps);
  for (int64_t f = 0; f < cols; ++f) y[f] = (z[f] - mean) * rstd * gamma[f] + beta[f];
  *mean_out = mean;
  *rstd_out = rstd;
}

// dv: gradient of the LayerNorm output. Writes dz; adds this row's terms to dgamma, dbeta.
inline void layer_norm_row_backward(const float* dv, const float* z, float mean, float rstd, const float* gamma,
                                    int64_t cols, float* dz, float* dgamma, float* dbeta) {
  float s1 = 0.0f, s2 = 0.0f;
  for (int64_t f = 0; f < cols; ++f) {
    const float xhat = (z[f] - mean) * rstd, g = dv[f] * gamma[f];
    s1 += g;
    s2 += g * xhat;
    dgamma[f] += dv[f] * xhat;
    dbeta[f] += dv[f];
  }
  const float m1 = s1 / static_cast<float>(cols), m2 = s2 / static_cast<float>(cols);
  for (int64_t f = 0; f < cols; ++f) {
    const float xhat = (z[f] - mean) * rstd;
    dz[f] = rstd * (dv[f] * gamma[f] - m1 - xhat * m2);
  }
}

}  // namespace triage::kernels::ref
