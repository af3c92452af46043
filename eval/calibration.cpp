// Temperature scaling and calibration measures (see calibration.h).
#include "eval/calibration.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "data/decode.h"

namespace triage::eval {

void CalibrationSamples::add(const float* row, int32_t gold_class) {
  probs.insert(probs.end(), row, row + classes);
  gold.push_back(gold_class);
}

namespace {

// Mean NLL at inverse temperature inv over log-probabilities l [n, C].
double mean_nll(const std::vector<double>& l, const std::vector<int32_t>& gold, int32_t C, double inv) {
  double total = 0;
  for (size_t i = 0; i < gold.size(); ++i) {
    const double* row = l.data() + i * static_cast<size_t>(C);
    double m = -1e300;
    for (int32_t c = 0; c < C; ++c) m = std::max(m, row[c] * inv);
    double sum = 0;
    for (int32_t c = 0; c < C; ++c) sum += std::exp(row[c] * inv - m);
    total += m + std::log(sum) - row[gold[i]] * inv;
  }
  return gold.empty() ? 0.0 : total / static_cast<double>(gold.size());
}

}  // namespace

CalibrationMetrics calibration_metrics(const CalibrationSamples& s, double temperature, int bins) {
  CalibrationMetrics m;
  m.n = static_cast<int64_t>(s.size());
  m.bins.assign(static_cast<size_t>(bins), {});
  std::vector<float> row(static_cast<size_t>(s.classes));
  for (size_t i = 0; i < s.size(); ++i) {
    std::copy_n(s.probs.begin() + static_cast<std::ptrdiff_t>(i * row.size()), row.size(), row.begin());
    data::temper_row(row.data(), s.classes, temperature);
    const auto top = static_cast<int32_t>(std::max_element(row.begin(), row.end()) - row.begin());
    const double conf = row[static_cast<size_t>(top)];
    const bool right = top == s.gold[i];
    for (int32_t c = 0; c < s.classes; ++c) {
      const double d = row[static_cast<size_t>(c)] - (c == s.gold[i] ? 1.0 : 0.0);
      m.brier += d * d;
    }
    m.nll -= std::log(std::max<double>(row[static_cast<size_t>(s.gold[i])], 1e-30));
    m.accuracy += right;
    auto& b = m.bins[static_cast<size_t>(std::min(bins - 1, static_cast<int>(conf * bins)))];
    ++b.count;
    b.confidence += conf;
    b.accuracy += right;
  }
  if (m.n == 0) return m;
  const auto n = static_cast<double>(m.n);
  for (auto& b : m.bins) {
    if (!b.count) continue;
    b.confidence /= static_cast<double>(b.count);
    b.accuracy /= static_cast<double>(b.count);
    m.ece += static_cast<double>(b.count) / n * std::abs(b.accuracy - b.confidence);
  }
  m.brier /= n;
  m.nll /= n;
  m.accuracy /= n;
  return m;
}

double fit_temperature(const CalibrationSamples& s) {
  if (s.size() == 0) return 1.0;
  // Without a single error the NLL falls all the way to T -> 0: nothing to fit, keep the scores.
  if (calibration_metrics(s, 1.0, 1).accuracy == 1.0) return 1.0;
  std::vector<double> l(s.probs.size());
  for (size_t i = 0; i < l.size(); ++i) l[i] = std::log(std::max<double>(s.probs[i], 1e-30));
  auto f = [&](double log_t) { return mean_nll(l, s.gold, s.classes, std::exp(-log_t)); };
  const double phi = (std::sqrt(5.0) - 1) / 2;
  double a = std::log(0.05), b = std::log(20.0);
  double x1 = b - phi * (b - a), x2 = a + phi * (b - a), f1 = f(x1), f2 = f(x2);
  for (int it = 0; it < 80; ++it) {
    if (f1 <= f2) {
      b = x2, x2 = x1, f2 = f1;
      x1 = b - phi * (b - a), f1 = f(x1);
    } else {
      a = x1, x1 = x2, f1 = f2;
      x2 = a + phi * (b - a), f2 = f(x2);
    }
  }
  return std::exp((a + b) / 2);
}

nlohmann::json CalibrationMetrics::to_json() const {
  nlohmann::json bj = nlohmann::json::array();
  for (const auto& b : bins) bj.push_back({{"count", b.count}, {"confidence", b.confidence}, {"accuracy", b.accuracy}});
  return {{"n", n}, {"ece", ece}, {"brier", brier}, {"nll", nll}, {"accuracy", accuracy}, {"bins", bj}};
}

CalibrationReport calibration_report(const CalibrationSamples& intent, const CalibrationSamples& token,
                                     double intent_temperature, double token_temperature, std::string source) {
  CalibrationReport r;
  r.source = std::move(source);
  auto side = [](const CalibrationSamples& s, double t) {
    CalibrationSide c;
    c.temperature = t;
    c.before = calibration_metrics(s, 1.0);
    c.after = calibration_metrics(s, t);
    return c;
  };
  if (intent.size()) r.intent = side(intent, intent_temperature);
  if (token.size()) r.token = side(token, token_temperature);
  return r;
}

nlohmann::json CalibrationReport::to_json() const {
  nlohmann::json j = {{"source", source}, {"bins", kCalibrationBins}};
  for (auto [name, side] : {std::pair{"intent", &intent}, std::pair{"token", &token}}) {
    if (!*side) continue;
    j[name] = {{"temperature", (*side)->temperature}, {"before", (*side)->before.to_json()},
               {"after", (*side)->after.to_json()}};
  }
  return j;
}

std::string CalibrationReport::format(int digits) const {
  std::string out = "calibration (" + std::to_string(kCalibrationBins) + "-bin ECE, Brier, NLL; before -> after):\n";
  char buf[256];
  for (auto [name, side] : {std::pair{"intent", &intent}, std::pair{"token", &token}}) {
    if (!*side) continue;
    const auto& s = **side;
    std::snprintf(buf, sizeof buf, "  %-6s T=%.*f  n=%lld  ECE %.*f -> %.*f  Brier %.*f -> %.*f  NLL %.*f -> %.*f\n", name,
                  digits, s.temperature, static_cast<long long>(s.before.n), digits, s.before.ece, digits, s.after.ece,
                  digits, s.before.brier, digits, s.after.brier, digits, s.before.nll, digits, s.after.nll);
    out += buf;
  }
  return out;
}

}  // namespace triage::eval
