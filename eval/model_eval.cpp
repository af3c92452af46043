// Model predictions to EvalSet, and the trainer's headline metrics.
#include "eval/model_eval.h"

#include "data/tag_scheme.h"

namespace triage::eval {

std::vector<std::string> gold_word_tags(const data::Example& example) {
  std::vector<std::string> tags(example.words.size(), "O");
  for (const auto& e : data::word_entities(example)) {
    for (int32_t w = e.begin; w < e.end; ++w)
      tags[static_cast<size_t>(w)] = (w == e.begin ? "B-" : "I-") + e.label;
  }
  return tags;
}

EvalSet predict_eval_set(const model::Predictor& predictor, const std::vector<data::Example>& examples,
                         const std::string& source) {
  const auto preds = predictor.predict(examples);
  const auto& schema = predictor.schema();
  const bool intents = schema.num_intents() > 0 &&
                       std::any_of(examples.begin(), examples.end(), [](const auto& e) { return !e.intent.empty(); });
  EvalSet set;
  set.source = source;
  for (size_t i = 0; i < examples.size(); ++i) {
    const auto& ex = examples[i];
    EvalSentence s;
    s.line = ex.source.line;
    for (const auto& w : ex.words) {
      (void)w;
      s.tokens.emplace_back();
    }
    s.gold = gold_word_tags(ex);
    for (int32_t t : preds[i].decoded.word_tags) s.pred.push_back(schema.tags()[static_cast<size_t>(t)]);
    if (intents) {
      s.gold_intent = ex.intent;
      s.pred_intent = preds[i].intent >= 0 ? schema.intents()[static_cast<size_t>(preds[i].intent)] : std::string();
    }
    set.sentences.push_back(std::move(s));
  }
  return set;
}

std::map<std::string, double> headline_metrics(const EvalResult& r) {
  std::map<std::string, double> m;
  m["entity_f1"] = r.entity_report.micro_avg.f1;
  m["entity_precision"] = r.entity_report.micro_avg.precision;
  m["entity_recall"] = r.entity_report.micro_avg.recall;
  m["token_accuracy"] = r.tag_accuracy;
  m["frame_accuracy"] = r.sentence_accuracy;
  if (r.intent_report) m["intent_accuracy"] = r.intent_report->accuracy;
  return m;
}

}  // namespace triage::eval
