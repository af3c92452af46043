// Text and JSON helpers shared by the reports. The text layout is scikit-learn's and
// seqeval's classification_report:
//   "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}"
// with widths counted in code points as Python counts them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/scores.h"

namespace triage::eval {

// Number of Unicode code points in UTF-8 text (Python's len()).
std::size_t code_points(std::string_view utf8);
// Python's format(text, '>width'): left-padded with spaces to width code points.
std::string pad_left(std::string_view text, std::size_t width);
// Python's format(value, '.{digits}f') ("nan", "inf" spelled as Python does).
std::string format_fixed(double value, int digits);

// The name column width both libraries use: max(longest name, len("weighted avg"), digits).
std::size_t report_width(const std::vector<std::string>& names, int digits);
// "<name> <p> <r> <f1> <support>" without the trailing newline. float_support prints the
// support as Python prints a float count ("2.0").
std::string report_row(std::string_view name, const Scores& s, std::size_t width, int digits,
                       bool float_support = false);
// The header line "... precision    recall  f1-score   support" without newline.
std::string report_header(std::size_t width);

// A double as JSON; NaN (an average over nothing) becomes null.
nlohmann::ordered_json json_number(double v);
// {"precision", "recall", "f1-score", "support"}, the oracles' output_dict keys.
nlohmann::ordered_json scores_json(const Scores& s);

}  // namespace triage::eval
