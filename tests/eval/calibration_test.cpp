// Calibration (issue 18): temperature scaling recovers a known temperature, the measures
// equal hand-computed values, a temperature on probabilities equals one on logits, and the
// reliability diagram is a PNG carrying its numbers.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

#include "data/decode.h"
#include "eval/calibration.h"
#include "eval/reliability_plot.h"
#include "tests/common/test_util.h"

namespace ev = triage::eval;

namespace {

std::vector<float> softmax(const std::vector<double>& z, double t) {
  std::vector<float> p(z.size());
  double m = -1e300, s = 0;
  for (double v : z) m = std::max(m, v / t);
  for (size_t i = 0; i < z.size(); ++i) s += p[i] = static_cast<float>(std::exp(z[i] / t - m));
  for (auto& v : p) v = static_cast<float>(v / s);
  return p;
}

}  // namespace

TEST(Calibration, TemperatureOnProbabilitiesIsTemperatureOnLogits) {
  const std::vector<double> z{2.0, -1.0, 0.5, 3.0};
  for (double t : {0.5, 1.0, 2.5}) {
    auto p = softmax(z, 1.0);
    triage::data::temper_row(p.data(), 4, t);
    const auto want = softmax(z, t);
    for (int c = 0; c < 4; ++c) {
      EXPECT_NEAR(p[c], want[c], 1e-6);
      EXPECT_NEAR(triage::data::tempered_probability(softmax(z, 1.0).data(), 4, c, t), want[c], 1e-6);
    }
  }
}

TEST(Calibration, FitRecoversTheTemperatureThatMadeScoresOverconfident) {
  // Labels drawn from softmax(z); the model reports softmax(2.5 z): T = 2.5 undoes it.
  std::mt19937 rng(4);
  std::normal_distribution<double> normal(0, 1.5);
  ev::CalibrationSamples s;
  s.classes = 5;
  for (int i = 0; i < 20000; ++i) {
    std::vector<double> z(5);
    for (auto& v : z) v = normal(rng);
    const auto truth = softmax(z, 1.0);
    std::discrete_distribution<int> draw(truth.begin(), truth.end());
    std::vector<double> sharp(z);
    for (auto& v : sharp) v *= 2.5;
    s.add(softmax(sharp, 1.0).data(), draw(rng));
  }
  const double t = ev::fit_temperature(s);
  EXPECT_NEAR(t, 2.5, 0.1);
  const auto before = ev::calibration_metrics(s, 1.0), after = ev::calibration_metrics(s, t);
  EXPECT_GT(before.ece, 0.05);
  EXPECT_LT(after.ece, 0.02);
  EXPECT_LT(after.nll, before.nll);
  EXPECT_LT(after.brier, before.brier);
  // no errors at all: nothing to fit
  ev::CalibrationSamples perfect;
  perfect.classes = 2;
  const float row[2] = {0.9f, 0.1f};
  perfect.add(row, 0);
  EXPECT_EQ(ev::fit_temperature(perfect), 1.0);
}

TEST(Calibration, MeasuresEqualHandComputedValues) {
  ev::CalibrationSamples s;
  s.classes = 2;
  const float a[2] = {0.9f, 0.1f}, b[2] = {0.2f, 0.8f}, c[2] = {0.6f, 0.4f};
  s.add(a, 0);  // right, confidence 0.9 (bin 13 of 15)
  s.add(b, 0);  // wrong, confidence 0.8 (bin 12)
  s.add(c, 0);  // right, confidence 0.6 (bin 9)
  const auto m = ev::calibration_metrics(s, 1.0);
  // ECE = (|1 - 0.9| + |0 - 0.8| + |1 - 0.6|) / 3; Brier = mean of 2 (p_c - y_c)^2 terms each
  EXPECT_NEAR(m.ece, (0.1 + 0.8 + 0.4) / 3, 1e-6);
  EXPECT_NEAR(m.brier, (0.01 + 0.01 + 0.64 + 0.64 + 0.16 + 0.16) / 3, 1e-6);
  EXPECT_NEAR(m.nll, -(std::log(0.9) + std::log(0.2) + std::log(0.6)) / 3, 1e-6);
  EXPECT_NEAR(m.accuracy, 2.0 / 3, 1e-9);
  ASSERT_EQ(m.bins.size(), 15u);
  EXPECT_EQ(m.bins[13].count, 1);
  EXPECT_EQ(m.bins[12].count, 1);
  EXPECT_EQ(m.bins[9].count, 1);
  EXPECT_EQ(m.bins[12].accuracy, 0.0);
}

TEST(Calibration, ReliabilityDiagramIsAPngWithItsNumbers) {
  triage::testing::TempDir tmp;
  ev::CalibrationSamples intent, token;
  intent.classes = token.classes = 2;
  const float a[2] = {0.9f, 0.1f}, b[2] = {0.3f, 0.7f};
  intent.add(a, 0), intent.add(b, 0), token.add(b, 1);
  const auto report = ev::calibration_report(intent, token, 1.7, 1.0, "dev.jsonl");
  const auto path = tmp.path() / "rel.png";
  ev::write_reliability_png(path, report);
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  ASSERT_GT(bytes.size(), 8u);
  EXPECT_EQ(bytes.substr(1, 3), "PNG");
  EXPECT_NE(bytes.find("intent: T=1.7000"), std::string::npos);
  EXPECT_NE(bytes.find("dev.jsonl"), std::string::npos);
  EXPECT_NE(report.format().find("ECE"), std::string::npos);
  const auto msg = triage::testing::error_of([&] { ev::write_reliability_png(tmp.path() / "no" / "x.png", report); });
  EXPECT_NE(msg.find("x.png: cannot write"), std::string::npos) << msg;
}
