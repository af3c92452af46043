// Evaluating a model on labelled examples: the model side of triage-eval --model and of
// the trainer's dev evaluation. Predictions come from model::Predictor (the decode path
// serve uses); gold word tags from the examples' entity spans (BIO over words).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "data/example.h"
#include "eval/calibration.h"
#include "eval/eval_set.h"
#include "eval/evaluate.h"
#include "model/predictor.h"

namespace triage::eval {

// Word tags (BIO strings) of an example's gold entities.
std::vector<std::string> gold_word_tags(const data::Example& example);

// Tags every example and pairs predictions with gold. Gold intents are included when
// the model has an intent head and the examples carry intents (unknown intents score as
// errors, as unseen entity types do). intent / token, when given, receive the calibration
// samples: each example's intent probabilities with its gold intent, each word's aggregated
// tag probabilities with its gold tag (words with no sub-word, and gold labels the model does
// not know, left out), as the predictor reports them (use one built with
// InferenceOverrides::calibrated = false for raw scores).
EvalSet predict_eval_set(const model::Predictor& predictor, const std::vector<data::Example>& examples,
                         const std::string& source, CalibrationSamples* intent = nullptr,
                         CalibrationSamples* token = nullptr);

// Fits temperature scaling on raw-score samples, records it in dir/triage.json (rewritten
// atomically, every other key kept) and returns the measures before and after.
CalibrationReport calibrate_checkpoint(const std::filesystem::path& dir, const CalibrationSamples& intent,
                                       const CalibrationSamples& token, const std::string& source);

// The headline numbers the trainer tracks: entity_f1 (seqeval micro, default mode),
// intent_accuracy, frame_accuracy (all tags and the intent right), token_accuracy.
std::map<std::string, double> headline_metrics(const EvalResult& result);
// Per entity type: "entity_f1/<type>" (seqeval's F1 of that type), for tracking (TensorBoard,
// MLflow) next to the headline metrics.
std::map<std::string, double> per_type_metrics(const EvalResult& result);

}  // namespace triage::eval
