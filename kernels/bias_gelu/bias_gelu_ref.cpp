// Bias + GELU reference: plain loops in fp32, the CPU path and the oracle of the CUDA tests.
#include <vector>

#include "kernels/bias_gelu/bias_gelu_impl.h"
#include "kernels/common/math.h"

namespace triage::kernels::ref {

void bias_gelu_forward(const float* x, const float* bias, float* y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t f = 0; f < cols; ++f) y[r * cols + f] = gelu_erf(x[r * cols + f] + bias[f]);
}

void bias_gelu_backward(const float* dy, const float* x, const float* bias, float* dx, float* dbias,
                        int64_t rows, int64_t cols) {
  std::vector<float> acc(static_cast<size_t>(cols), 0.0f);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t f = 0; f < cols; ++f) {
      const int64_t i = r * cols + f;
      dx[i] = dy[i] * gelu_erf_grad(x[i] + bias[f]);
      acc[f] += dx[i];
    }
  for (int64_t f = 0; f < cols; ++f) dbias[f] = acc[f];
}

}  // namespace triage::kernels::ref
