// scikit-learn classification_report (sklearn 1.3+ arithmetic; checked against 1.9).
#include "eval/classification_report.h"

#include <cmath>
#include <map>
#include <stdexcept>

#include "eval/report_format.h"

namespace triage::eval {

ClassificationReport classification_report(const std::vector<std::string>& gold,
                                           const std::vector<std::string>& pred) {
  if (gold.size() != pred.size())
    throw std::invalid_argument("classification_report: gold has " + std::to_string(gold.size()) +
                                " items, predictions " + std::to_string(pred.size()));
  std::map<std::string, Counts> counts;  // std::map orders bytewise == code point order
  int64_t correct = 0;
  for (std::size_t i = 0; i < gold.size(); ++i) {
    Counts& g = counts[gold[i]];
    Counts& p = counts[pred[i]];
    ++g.gold;
    ++p.pred;
    if (gold[i] == pred[i]) {
      ++g.tp;
      ++correct;
    }
  }
  ClassificationReport r;
  r.total = static_cast<int64_t>(gold.size());
  r.correct = correct;
  std::vector<double> ps, rs, fs;
  std::vector<int64_t> supports;
  for (const auto& [label, c] : counts) {
    Scores s;
    s.precision = safe_divide(static_cast<double>(c.tp), static_cast<double>(c.pred));
    s.recall = safe_divide(static_cast<double>(c.tp), static_cast<double>(c.gold));
    s.f1 = sklearn_f1(c);
    s.support = c.gold;
    r.labels.push_back({label, s});
    ps.push_back(s.precision);
    rs.push_back(s.recall);
    fs.push_back(s.f1);
    supports.push_back(c.gold);
  }
  // Micro F1 = 2 tp / (n + n) = tp / n exactly (scaling by two is exact).
  r.accuracy = r.total == 0 ? std::nan("") : static_cast<double>(correct) / static_cast<double>(r.total);
  r.macro_avg = {numpy_mean(ps), numpy_mean(rs), numpy_mean(fs), r.total};
  if (r.total > 0) {
    r.weighted_avg = {numpy_weighted_mean(ps, supports), numpy_weighted_mean(rs, supports),
                      numpy_weighted_mean(fs, supports), r.total};
  } else {
    r.weighted_avg = r.macro_avg;  // sklearn falls back to the plain mean on zero weights
  }
  return r;
}

// sklearn's multilabel_confusion_matrix builds its counts with np.zeros (float64) when not
// a single prediction is right, and Python prints a float support as "2.0".
std::string format_report(const ClassificationReport& report, int digits) {
  const bool float_support = report.correct == 0;
  std::vector<std::string> names;
  for (const auto& l : report.labels) names.push_back(l.label);
  const std::size_t width = report_width(names, digits);
  std::string out = report_header(width) + "\n\n";
  auto row = [&](std::string_view name, const Scores& s) {
    return report_row(name, s, width, digits, float_support) + "\n";
  };
  for (const auto& l : report.labels) out += row(l.label, l.scores);
  out += "\n";
  // accuracy: precision and recall columns are blank, f1 holds the accuracy.
  out += pad_left("accuracy", width) + " " + " " + pad_left("", 9) + " " + pad_left("", 9) + " " +
         pad_left(format_fixed(report.accuracy, digits), 9) + " " + pad_left(std::to_string(report.total) + (float_support ? ".0" : ""), 9) +
         "\n";
  out += row("macro avg", report.macro_avg);
  out += row("weighted avg", report.weighted_avg);
  return out;
}

nlohmann::ordered_json report_json(const ClassificationReport& report) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& l : report.labels) j[l.label] = scores_json(l.scores);
  j["accuracy"] = json_number(report.accuracy);
  j["macro avg"] = scores_json(report.macro_avg);
  j["weighted avg"] = scores_json(report.weighted_avg);
  return j;
}

}  // namespace triage::eval
