// Calibration of the model's scores (issue 18): temperature scaling fitted by minimising the
// negative log-likelihood on held-out data (Guo et al. 2017), and the measures of how far a
// score is from the frequency it claims: expected calibration error over 15 equal-width
// confidence bins, the multi-class Brier score and the NLL. Torch-free: it works on the
// probability rows the predictor reports (data::temper_row applies a temperature to them, the
// same transform the predictor applies when triage.json holds one).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace triage::eval {

// Probability rows [n, classes] (untempered) with the gold class of each row.
struct CalibrationSamples {
  int32_t classes = 0;
  std::vector<float> probs;
  std::vector<int32_t> gold;
  size_t size() const { return gold.size(); }
  void add(const float* row, int32_t gold_class);
};

struct CalibrationMetrics {
  int64_t n = 0;
  double ece = 0;       // sum over bins of (bin count / n) x |accuracy - mean confidence|
  double brier = 0;     // mean over rows of sum_c (p_c - [c == gold])^2
  double nll = 0;       // mean -log p_gold
  double accuracy = 0;  // argmax == gold
  struct Bin {
    int64_t count = 0;
    double confidence = 0, accuracy = 0;  // means over the bin's rows
  };
  std::vector<Bin> bins;  // confidence (the top probability) in [k/B, (k+1)/B), the last closed
  nlohmann::json to_json() const;
};

inline constexpr int kCalibrationBins = 15;

// The measures of the samples' rows after temperature T (1: as they are).
CalibrationMetrics calibration_metrics(const CalibrationSamples& s, double temperature, int bins = kCalibrationBins);

// The temperature in [0.05, 20] minimising the mean NLL (golden-section search on log T; the
// NLL is convex in 1/T). 1 when there are no samples, or no errors among them (the NLL then
// keeps falling towards T -> 0, which would make every score 1).
double fit_temperature(const CalibrationSamples& s);

// One score kind (intent or token) of a calibration report.
struct CalibrationSide {
  double temperature = 1.0;
  CalibrationMetrics before, after;  // raw scores; under `temperature`
};

struct CalibrationReport {
  std::string source;  // the data the measures are on
  std::optional<CalibrationSide> intent, token;
  nlohmann::json to_json() const;
  std::string format(int digits = 4) const;  // the text block triage-eval prints
};

// Measures both kinds of samples before and after the given temperatures.
CalibrationReport calibration_report(const CalibrationSamples& intent, const CalibrationSamples& token,
                                     double intent_temperature, double token_temperature, std::string source);

}  // namespace triage::eval
