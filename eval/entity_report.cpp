// seqeval's _precision_recall_fscore_support over per-type entity sets, and the entity
// type confusion matrix.
#include "eval/entity_report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>

#include "eval/report_format.h"

namespace triage::eval {

namespace {

void check_shape(const Sentences& gold, const Sentences& pred) {
  if (gold.size() != pred.size())
    throw std::invalid_argument("gold has " + std::to_string(gold.size()) + " sentences, predictions " +
                                std::to_string(pred.size()));
  for (std::size_t i = 0; i < gold.size(); ++i)
    if (gold[i].size() != pred[i].size())
      throw std::invalid_argument("sentence " + std::to_string(i) + ": gold has " + std::to_string(gold[i].size()) +
                                  " tags, predictions " + std::to_string(pred[i].size()));
}

using Span = std::tuple<int64_t, int64_t, int64_t>;  // sentence, first, last

Span span_of(const Entity& e) { return {e.sentence, e.first, e.last}; }

// Per-type counts over entity sets (duplicates collapse, as in seqeval's sets).
std::map<std::string, Counts> type_counts(const std::vector<Entity>& gold, const std::vector<Entity>& pred) {
  std::map<std::string, std::set<Span>> g, p;
  for (const auto& e : gold) g[e.type].insert(span_of(e));
  for (const auto& e : pred) p[e.type].insert(span_of(e));
  std::map<std::string, Counts> counts;
  for (const auto& [type, spans] : g) counts[type].gold = static_cast<int64_t>(spans.size());
  for (const auto& [type, spans] : p) {
    Counts& c = counts[type];
    c.pred = static_cast<int64_t>(spans.size());
    if (auto it = g.find(type); it != g.end())
      for (const auto& s : spans) c.tp += it->second.count(s);
  }
  return counts;
}

Scores scores_of(const Counts& c) {
  Scores s;
  s.precision = safe_divide(static_cast<double>(c.tp), static_cast<double>(c.pred));
  s.recall = safe_divide(static_cast<double>(c.tp), static_cast<double>(c.gold));
  s.f1 = seqeval_f1(s.precision, s.recall);
  s.support = c.gold;
  return s;
}

}  // namespace

std::vector<Entity> extract_entities(const Sentences& sentences, const EntityOptions& options) {
  if (options.mode == Mode::strict) return strict_entities(sentences, options.scheme);
  return get_entities(sentences);
}

EntityReport entity_report(const Sentences& gold, const Sentences& pred, const EntityOptions& options) {
  check_shape(gold, pred);
  const auto gold_entities = extract_entities(gold, options);
  const auto pred_entities = extract_entities(pred, options);
  const auto counts = type_counts(gold_entities, pred_entities);

  EntityReport r;
  Counts total;
  std::vector<double> ps, rs, fs;
  std::vector<int64_t> supports;
  for (const auto& [type, c] : counts) {
    const Scores s = scores_of(c);
    r.types.push_back({type, s});
    ps.push_back(s.precision);
    rs.push_back(s.recall);
    fs.push_back(s.f1);
    supports.push_back(c.gold);
    total.tp += c.tp;
    total.pred += c.pred;
    total.gold += c.gold;
  }
  r.micro_avg = scores_of(total);
  r.macro_avg = {numpy_mean(ps), numpy_mean(rs), numpy_mean(fs), total.gold};
  if (total.gold == 0) {
    r.weighted_avg = {0.0, 0.0, 0.0, 0};  // seqeval returns zero_division values early
  } else {
    r.weighted_avg = {numpy_weighted_mean(ps, supports), numpy_weighted_mean(rs, supports),
                      numpy_weighted_mean(fs, supports), total.gold};
  }
  return r;
}

namespace {
const Scores& pick(const EntityReport& r, Average a) {
  return a == Average::micro ? r.micro_avg : a == Average::macro ? r.macro_avg : r.weighted_avg;
}
}  // namespace

double entity_precision(const Sentences& gold, const Sentences& pred, const EntityOptions& options, Average a) {
  return pick(entity_report(gold, pred, options), a).precision;
}
double entity_recall(const Sentences& gold, const Sentences& pred, const EntityOptions& options, Average a) {
  return pick(entity_report(gold, pred, options), a).recall;
}
double entity_f1(const Sentences& gold, const Sentences& pred, const EntityOptions& options, Average a) {
  return pick(entity_report(gold, pred, options), a).f1;
}

double tag_accuracy(const Sentences& gold, const Sentences& pred) {
  check_shape(gold, pred);
  int64_t correct = 0, total = 0;
  for (std::size_t s = 0; s < gold.size(); ++s)
    for (std::size_t t = 0; t < gold[s].size(); ++t) {
      correct += gold[s][t] == pred[s][t];
      ++total;
    }
  return total == 0 ? std::nan("") : static_cast<double>(correct) / static_cast<double>(total);
}

std::string format_entity_report(const EntityReport& report, int digits) {
  std::vector<std::string> names;
  for (const auto& t : report.types) names.push_back(t.label);
  const std::size_t width = report_width(names, digits);
  std::string out = report_header(width) + "\n\n";
  for (const auto& t : report.types) out += report_row(t.label, t.scores, width, digits) + "\n";
  out += "\n";
  out += report_row("micro avg", report.micro_avg, width, digits) + "\n";
  out += report_row("macro avg", report.macro_avg, width, digits) + "\n";
  out += report_row("weighted avg", report.weighted_avg, width, digits) + "\n";
  return out;
}

nlohmann::ordered_json entity_report_json(const EntityReport& report) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& t : report.types) j[t.label] = scores_json(t.scores);
  j["micro avg"] = scores_json(report.micro_avg);
  j["macro avg"] = scores_json(report.macro_avg);
  j["weighted avg"] = scores_json(report.weighted_avg);
  return j;
}

EntityConfusion entity_confusion(const Sentences& gold, const Sentences& pred, const EntityOptions& options) {
  check_shape(gold, pred);
  const auto gold_entities = extract_entities(gold, options);
  const auto pred_entities = extract_entities(pred, options);
  std::set<std::string> type_set;
  std::map<Span, std::string> gold_by_span, pred_by_span;
  for (const auto& e : gold_entities) {
    type_set.insert(e.type);
    gold_by_span.emplace(span_of(e), e.type);
  }
  for (const auto& e : pred_entities) {
    type_set.insert(e.type);
    pred_by_span.emplace(span_of(e), e.type);
  }
  EntityConfusion c;
  c.types.assign(type_set.begin(), type_set.end());
  const std::size_t none = c.types.size();
  c.counts.assign(none + 1, std::vector<int64_t>(none + 1, 0));
  auto index = [&](const std::string& t) {
    return static_cast<std::size_t>(std::lower_bound(c.types.begin(), c.types.end(), t) - c.types.begin());
  };
  for (const auto& [span, type] : gold_by_span) {
    auto it = pred_by_span.find(span);
    ++c.counts[index(type)][it == pred_by_span.end() ? none : index(it->second)];
  }
  for (const auto& [span, type] : pred_by_span)
    if (!gold_by_span.count(span)) ++c.counts[none][index(type)];
  return c;
}

std::string format_entity_confusion(const EntityConfusion& confusion) {
  std::vector<std::string> names = confusion.types;
  names.emplace_back("none");
  std::size_t row_width = std::string_view("gold \\ pred").size();
  std::size_t col_width = 5;
  for (const auto& n : names) {
    row_width = std::max(row_width, code_points(n));
    col_width = std::max(col_width, code_points(n));
  }
  for (const auto& row : confusion.counts)
    for (int64_t v : row) col_width = std::max(col_width, std::to_string(v).size());
  std::string out = pad_left("gold \\ pred", row_width);
  for (const auto& n : names) out += "  " + pad_left(n, col_width);
  out += "\n";
  for (std::size_t r = 0; r < names.size(); ++r) {
    out += pad_left(names[r], row_width);
    for (int64_t v : confusion.counts[r]) out += "  " + pad_left(std::to_string(v), col_width);
    out += "\n";
  }
  return out;
}

nlohmann::ordered_json entity_confusion_json(const EntityConfusion& confusion) {
  nlohmann::ordered_json j;
  j["types"] = confusion.types;
  j["none"] = "none";
  j["matrix"] = confusion.counts;
  return j;
}

}  // namespace triage::eval
