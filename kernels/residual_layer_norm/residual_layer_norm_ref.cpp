// Bias + dropout + residual + LayerNorm reference: plain fp32 loops, the CPU path and the
// oracle of the CUDA tests.
#include <algorithm>

#include "kernels/common/layer_norm_ref.h"
#include "kernels/common/math.h"
#include "kernels/residual_layer_norm/residual_layer_norm_impl.h"

namespace triage::kernels::ref {

void residual_layer_norm_forward(const float* h, const float* bias, const float* residual, const float* gamma,
                                 const float* beta, float eps, float p, uint64_t seed, int64_t rows, int64_t cols,
                                 float* y, float* z, float* mean, float* rstd) {
  for (int64_t r = 0; r < rows; ++r) {
    float* zr = z + r * cols;
    for (int64_t f = 0; f < cols; ++f) {
      const int64_t i = r * cols + f;
      zr[f] = (h[i] + bias[f]) * dropout_factor(seed, static_cast<uint64_t>(i), p) + residual[i];
    }
    layer_norm_row(zr, gamma, beta, eps, cols, y + r * cols, mean + r, rstd + r);
  }
}

void residual_layer_norm_backward(const float* dy, const float* z, const float* mean, const float* rstd,
                                  const float* gamma, float p, uint64_t seed, int64_t rows, int64_t cols,
                                  float* dz, float* dh, float* dparams) {
  float* dgamma = dparams;
  float* dbeta = dparams + cols;
  float* dbias = dparams + 2 * cols;
  std::fill(dparams, dparams + 3 * cols, 0.0f);
  for (int64_t r = 0; r < rows; ++r) {
    layer_norm_row_backward(dy + r * cols, z + r * cols, mean[r], rstd[r], gamma, cols, dz + r * cols, dgamma, dbeta);
    for (int64_t f = 0; f < cols; ++f) {
      const int64_t i = r * cols + f;
      dh[i] = dz[i] * dropout_factor(seed, static_cast<uint64_t>(i), p);
      dbias[f] += dh[i];
    }
  }
}

}  // namespace triage::kernels::ref
