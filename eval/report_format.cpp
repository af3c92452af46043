// Python str.format semantics for the report tables (right-justified, code-point widths).
#include "eval/report_format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace triage::eval {

std::size_t code_points(std::string_view utf8) {
  std::size_t n = 0;
  for (unsigned char c : utf8)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string pad_left(std::string_view text, std::size_t width) {
  const std::size_t len = code_points(text);
  std::string out;
  if (len < width) out.assign(width - len, ' ');
  out.append(text);
  return out;
}

std::string format_fixed(double value, int digits) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  const int n = std::snprintf(nullptr, 0, "%.*f", digits, value);
  std::string out(static_cast<std::size_t>(n), '\0');
  std::snprintf(out.data(), out.size() + 1, "%.*f", digits, value);
  return out;
}

std::size_t report_width(const std::vector<std::string>& names, int digits) {
  std::size_t width = std::string_view("weighted avg").size();
  for (const auto& n : names) width = std::max(width, code_points(n));
  return std::max(width, static_cast<std::size_t>(std::max(digits, 0)));
}

std::string report_row(std::string_view name, const Scores& s, std::size_t width, int digits, bool float_support) {
  std::string row = pad_left(name, width) + " ";
  for (double v : {s.precision, s.recall, s.f1}) row += " " + pad_left(format_fixed(v, digits), 9);
  row += " " + pad_left(std::to_string(s.support) + (float_support ? ".0" : ""), 9);
  return row;
}

std::string report_header(std::size_t width) {
  std::string h = pad_left("", width) + " ";
  for (const char* col : {"precision", "recall", "f1-score", "support"}) h += " " + pad_left(col, 9);
  return h;
}

nlohmann::ordered_json json_number(double v) {
  if (std::isnan(v)) return nullptr;
  return v;
}

nlohmann::ordered_json scores_json(const Scores& s) {
  nlohmann::ordered_json j;
  j["precision"] = json_number(s.precision);
  j["recall"] = json_number(s.recall);
  j["f1-score"] = json_number(s.f1);
  j["support"] = s.support;
  return j;
}

}  // namespace triage::eval
