// numpy-exact reductions and the two F1 formulas (scikit-learn's count form, seqeval's
// precision/recall form); both are needed because they round differently in the last bit.
#include "eval/scores.h"

#include <cmath>
#include <limits>

namespace triage::eval {

namespace {

// Mirrors numpy's DOUBLE_pairwise_sum (numpy/_core/src/umath/loops_utils.h.src).
double pairwise_sum(const double* a, std::size_t n) {
  if (n < 8) {
    double res = 0.0;
    for (std::size_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    std::size_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

}  // namespace

double numpy_sum(std::span<const double> values) { return pairwise_sum(values.data(), values.size()); }

double numpy_mean(std::span<const double> values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  return numpy_sum(values) / static_cast<double>(values.size());
}

double numpy_weighted_mean(std::span<const double> values, std::span<const int64_t> weights) {
  std::vector<double> products(values.size());
  std::vector<double> w(weights.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    w[i] = static_cast<double>(weights[i]);
    products[i] = values[i] * w[i];
  }
  return numpy_sum(products) / numpy_sum(w);
}

double safe_divide(double num, double den) { return den == 0.0 ? 0.0 : num / den; }

double sklearn_f1(const Counts& c) {
  return safe_divide(2.0 * static_cast<double>(c.tp), static_cast<double>(c.gold) + static_cast<double>(c.pred));
}

double seqeval_f1(double precision, double recall) {
  double denom = precision + recall;
  if (denom == 0.0) denom = 1.0;
  return 2.0 * precision * recall / denom;
}

}  // namespace triage::eval
