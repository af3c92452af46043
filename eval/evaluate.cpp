// Runs every report over an EvalSet and renders the combined text and JSON.
#include "eval/evaluate.h"

#include <cmath>

#include "core/error.h"
#include "eval/report_format.h"

namespace triage::eval {

std::string_view mode_name(Mode mode) { return mode == Mode::strict ? "strict" : "default"; }

EvalResult evaluate(const EvalSet& set, const EvalOptions& options) {
  Sentences gold, pred;
  std::vector<std::string> flat_gold, flat_pred;
  for (std::size_t s = 0; s < set.sentences.size(); ++s) {
    const auto& sent = set.sentences[s];
    if (sent.gold.size() != sent.pred.size())
      throw InputError(locate(set, s) + ": sentence has " + std::to_string(sent.gold.size()) + " gold tags but " +
                       std::to_string(sent.pred.size()) + " predicted tags");
    gold.push_back(sent.gold);
    pred.push_back(sent.pred);
    flat_gold.insert(flat_gold.end(), sent.gold.begin(), sent.gold.end());
    flat_pred.insert(flat_pred.end(), sent.pred.begin(), sent.pred.end());
  }
  if (flat_gold.empty()) throw InputError((set.source.empty() ? "<input>" : set.source) + ": no tokens to evaluate");

  EvalResult r;
  r.mode = options.mode;
  r.sentences = static_cast<int64_t>(set.sentences.size());
  r.tokens = static_cast<int64_t>(flat_gold.size());

  EntityOptions eo{options.mode, options.scheme.value_or(Scheme::IOB2)};
  auto which = [&](const char* column, auto&& fn) {
    try {
      return fn();
    } catch (const TagError& e) {
      std::string where = e.sentence() >= 0 ? locate(set, static_cast<std::size_t>(e.sentence()), e.token())
                                            : (set.source.empty() ? std::string("<input>") : set.source);
      throw InputError(where + ": " + column + " column: " + e.what());
    }
  };
  if (options.mode == Mode::strict) {
    if (!options.scheme) eo.scheme = which("gold", [&] { return auto_detect(gold); });
    // Validate each column separately so the message names it.
    which("gold", [&] { return strict_entities(gold, eo.scheme); });
    which("predicted", [&] { return strict_entities(pred, eo.scheme); });
  }
  r.scheme = eo.scheme;

  r.token_report = classification_report(flat_gold, flat_pred);
  r.entity_report = entity_report(gold, pred, eo);
  r.tag_accuracy = tag_accuracy(gold, pred);
  r.confusion = entity_confusion(gold, pred, eo);

  const bool intents = set.has_intents();
  if (intents) {
    std::vector<std::string> gi, pi;
    for (const auto& s : set.sentences) {
      gi.push_back(s.gold_intent.value_or(""));
      pi.push_back(s.pred_intent.value_or(""));
    }
    r.intent_report = classification_report(gi, pi);
  }
  int64_t frames = 0;
  for (const auto& s : set.sentences) frames += s.gold == s.pred && (!intents || s.gold_intent == s.pred_intent);
  r.sentence_accuracy = r.sentences == 0 ? std::nan("") : static_cast<double>(frames) / static_cast<double>(r.sentences);
  return r;
}

std::string format_result(const EvalResult& r, int digits) {
  std::string out;
  out += "== token-level report (scikit-learn classification_report) ==\n";
  out += format_report(r.token_report, digits);
  out += "\n== entity-level report (seqeval, mode=" + std::string(mode_name(r.mode)) +
         (r.mode == Mode::strict ? ", scheme=" + std::string(scheme_name(r.scheme)) : std::string()) + ") ==\n";
  out += format_entity_report(r.entity_report, digits);
  out += "tag accuracy (seqeval accuracy_score): " + format_fixed(r.tag_accuracy, digits) + "\n";
  if (r.intent_report) {
    out += "\n== intent report (scikit-learn classification_report) ==\n";
    out += format_report(*r.intent_report, digits);
    out += "intent accuracy: " + format_fixed(r.intent_report->accuracy, digits) + "\n";
  }
  out += "\n== sentence accuracy ==\n";
  out += std::string(r.intent_report ? "all tags and intent correct: " : "all tags correct: ") +
         format_fixed(r.sentence_accuracy, digits) + " (" + std::to_string(r.sentences) + " sentences, " +
         std::to_string(r.tokens) + " tokens)\n";
  out += "\n== entity type confusion (rows gold, columns predicted; exact spans) ==\n";
  out += format_entity_confusion(r.confusion);
  return out;
}

nlohmann::ordered_json result_json(const EvalResult& r) {
  nlohmann::ordered_json j;
  j["mode"] = std::string(mode_name(r.mode));
  j["scheme"] = r.mode == Mode::strict ? nlohmann::ordered_json(std::string(scheme_name(r.scheme))) : nullptr;
  j["sentences"] = r.sentences;
  j["tokens"] = r.tokens;
  j["token_report"] = report_json(r.token_report);
  j["entity_report"] = entity_report_json(r.entity_report);
  j["entity"] = {{"precision", json_number(r.entity_report.micro_avg.precision)},
                 {"recall", json_number(r.entity_report.micro_avg.recall)},
                 {"f1", json_number(r.entity_report.micro_avg.f1)},
                 {"accuracy", json_number(r.tag_accuracy)}};
  j["intent_report"] = r.intent_report ? report_json(*r.intent_report) : nlohmann::ordered_json(nullptr);
  j["intent_accuracy"] = r.intent_report ? json_number(r.intent_report->accuracy) : nlohmann::ordered_json(nullptr);
  j["sentence_accuracy"] = json_number(r.sentence_accuracy);
  j["entity_confusion"] = entity_confusion_json(r.confusion);
  return j;
}

}  // namespace triage::eval
