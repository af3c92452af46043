// Model predictions to EvalSet, and the trainer's headline metrics.
#include "eval/model_eval.h"

#include "core/file_io.h"
#include "data/tag_scheme.h"
#include "model/checkpoint_meta.h"

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
                         const std::string& source, CalibrationSamples* intent, CalibrationSamples* token) {
  const auto preds = predictor.predict(examples);
  const auto& schema = predictor.schema();
  if (intent) intent->classes = schema.num_intents();
  if (token) token->classes = schema.num_tags();
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
      const int32_t gold = schema.intent_id(ex.intent);
      if (intent && gold >= 0 && !preds[i].intent_probs.empty()) intent->add(preds[i].intent_probs.data(), gold);
    }
    if (token) {
      const auto& rows = preds[i].decoded.word_rows;
      const auto T = static_cast<size_t>(schema.num_tags());
      for (size_t w = 0; w < s.gold.size() && (w + 1) * T <= rows.size(); ++w) {
        const float* row = rows.data() + w * T;
        const int32_t gold = schema.tag_id(s.gold[w]);
        if (gold >= 0 && std::any_of(row, row + T, [](float p) { return p > 0; })) token->add(row, gold);
      }
    }
    set.sentences.push_back(std::move(s));
  }
  return set;
}

CalibrationReport calibrate_checkpoint(const std::filesystem::path& dir, const CalibrationSamples& intent,
                                       const CalibrationSamples& token, const std::string& source) {
  auto report = calibration_report(intent, token, fit_temperature(intent), fit_temperature(token), source);
  auto meta = model::CheckpointMeta::read(dir);
  model::CheckpointMeta::Calibration cal;
  cal.intent_temperature = report.intent ? report.intent->temperature : 1.0;
  cal.token_temperature = report.token ? report.token->temperature : 1.0;
  cal.report = {{"fitted_on", source}, {"bins", kCalibrationBins}};
  for (auto [name, side] : {std::pair{"intent", &report.intent}, std::pair{"token", &report.token}}) {
    if (!*side) continue;
    cal.report[name] = {{"n", (*side)->before.n},
                        {"ece_before", (*side)->before.ece}, {"ece_after", (*side)->after.ece},
                        {"brier_before", (*side)->before.brier}, {"brier_after", (*side)->after.brier}};
  }
  meta.calibration = std::move(cal);
  write_file_atomic(dir / "triage.json", meta.to_json().dump(2) + "\n");
  return report;
}

std::map<std::string, double> per_type_metrics(const EvalResult& r) {
  std::map<std::string, double> m;
  for (const auto& t : r.entity_report.types) m["entity_f1/" + t.label] = t.scores.f1;
  return m;
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
