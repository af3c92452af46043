// scikit-learn's classification_report over flat label sequences (token tags, intents):
// labels are the sorted union of gold and predicted labels (a label seen only in the
// predictions gets support 0, one seen only in gold gets precision 0), zero divisions give
// 0.0 as with zero_division="warn"/0, and the text is sklearn's layout character for
// character. Sorting is by code point, as Python sorts str.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/scores.h"

namespace triage::eval {

struct ClassificationReport {
  std::vector<LabelScores> labels;  // sorted union of gold and predicted labels
  double accuracy = 0.0;            // micro F1 == fraction of positions where gold == pred
  Scores macro_avg;                 // unweighted mean over labels
  Scores weighted_avg;              // mean weighted by support
  int64_t total = 0;                // number of items (sum of supports)
  int64_t correct = 0;              // items where gold == pred
};

// gold and pred must have the same length (throws std::invalid_argument otherwise); an
// empty input gives an empty report with NaN averages.
ClassificationReport classification_report(const std::vector<std::string>& gold,
                                           const std::vector<std::string>& pred);

// sklearn's printed string (classification_report(..., digits=digits)), ending in "\n".
// Quirk kept: when no item is right sklearn's counts are floats, so supports print "2.0".
std::string format_report(const ClassificationReport& report, int digits = 4);
// The same numbers as classification_report(..., output_dict=True): per label
// {"precision","recall","f1-score","support"}, then "accuracy", "macro avg", "weighted avg".
nlohmann::ordered_json report_json(const ClassificationReport& report);

}  // namespace triage::eval
