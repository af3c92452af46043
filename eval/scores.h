// Precision / recall / F1 arithmetic shared by the token, intent and entity reports, done
// the way numpy does it so that printed digits match scikit-learn and seqeval exactly:
// sums are numpy's pairwise summation, zero denominators give 0.0 (zero_division="warn").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace triage::eval {

// One row of a report. For average rows, support is the total gold count.
struct Scores {
  double precision = 0.0;
  double recall = 0.0;
  double f1 = 0.0;
  int64_t support = 0;
};

struct LabelScores {
  std::string label;
  Scores scores;
};

// Per-label sufficient statistics.
struct Counts {
  int64_t tp = 0;    // predicted and gold agree
  int64_t pred = 0;  // predicted as this label
  int64_t gold = 0;  // gold is this label (the support)
};

// numpy's float64 add.reduce: pairwise summation with 8 accumulators, blocks of 128.
double numpy_sum(std::span<const double> values);
// np.mean; NaN for an empty span (numpy warns and returns nan).
double numpy_mean(std::span<const double> values);
// np.average(values, weights): sum(values * weights) / sum(weights). Caller handles a
// zero weight sum (sklearn and seqeval treat it differently).
double numpy_weighted_mean(std::span<const double> values, std::span<const int64_t> weights);

// num / den, or 0.0 when den == 0 (zero_division "warn" and 0 behave the same).
double safe_divide(double num, double den);

// F1 as scikit-learn >= 1.3 computes it: 2 tp / (gold + pred), 0.0 when both are zero.
double sklearn_f1(const Counts& c);
// F1 as seqeval computes it: 2 p r / (p + r), 0.0 when p + r == 0.
double seqeval_f1(double precision, double recall);

}  // namespace triage::eval
