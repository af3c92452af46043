// Inference over examples, the one path train (dev evaluation), eval (--model) and serve
// use: tokenize and align, cut long inputs into windows, batch by length, run the model,
// merge windows (each sub-word from the window where it is most central), decode with the
// shared decode path (data/decode.h) and average the windows' intent probabilities.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "data/annotation_formats.h"
#include "data/decode.h"
#include "data/example.h"
#include "data/labels.h"
#include "data/tokenizer.h"
#include "data/windows.h"
#include "model/encoder.h"

namespace triage::model {

struct PredictOptions {
  data::WindowOptions windows{128, 32};
  data::Aggregation aggregation = data::Aggregation::first;
  data::DecodeMode decode = data::DecodeMode::greedy;
  int64_t max_tokens = 8192;   // padded sub-words per forward batch
  int32_t max_batch_size = 64;
  // Temperature scaling of the reported scores (triage.json calibration; 1 = raw softmax):
  // intent probabilities and word / span scores; tags and intents are chosen as without.
  double intent_temperature = 1.0, token_temperature = 1.0;
};

struct Prediction {
  data::Decoded decoded;             // word tags (schema tag ids), word scores, spans
  int32_t intent = -1;               // schema intent id; -1 without an intent head
  std::vector<float> intent_probs;   // [num_intents], averaged over windows
  int32_t subwords = 0;              // content sub-words of the example
  int32_t windows = 0;
};

// A prediction as a pre-annotation (Label Studio predictions: triage-model tag --data, the
// serving review queue): its spans labelled by name with their scores, the intent with its
// probability, and the task's score, the lowest of them (1 when there is none).
data::PreAnnotation pre_annotation(const Prediction& p, const std::vector<std::string>& entity_types,
                                   const std::vector<std::string>& intents);

// An example tokenized and cut into windows: the torch-free half of predict(), which a
// server runs on its request threads (see Predictor::encode / prepare).
struct PreparedExample {
  data::EncodedExample encoded;         // content sub-words of the example, no specials
  std::vector<data::Feature> features;  // one per window; Feature::example is 0
  int32_t max_len() const;              // longest window, special tokens included
};

// The label schema a checkpoint predicts: entity types from its B-/I- labels, intents
// from triage_intent_labels. Throws InputError when a label is not O, B-x or I-x.
data::LabelSchema schema_from_config(const ModelConfig& config);

class Predictor {
 public:
  Predictor(TokenClassifier model, std::shared_ptr<const data::Tokenizer> tokenizer, PredictOptions options);
  const data::LabelSchema& schema() const { return schema_; }
  // One Prediction per example, in order; independent of how examples are grouped
  // (batch invariance of the model). Runs under InferenceMode on the model's device.
  std::vector<Prediction> predict(const std::vector<data::Example>& examples) const;

  // predict() in two steps. encode() and prepare() only tokenize and cut windows (no
  // torch; safe to call from any thread); a caller may shorten the encoding in between
  // (serve's truncation). predict_prepared() runs the forwards (batched by max_tokens and
  // max_batch_size) and decodes: examples[i] must be the example prepared[i] came from.
  data::EncodedExample encode(const data::Example& example) const;
  PreparedExample prepare(data::EncodedExample encoded) const;
  std::vector<Prediction> predict_prepared(const std::vector<const data::Example*>& examples,
                                           const std::vector<const PreparedExample*>& prepared) const;
  const PredictOptions& options() const { return options_; }

 private:
  mutable TokenClassifier model_;  // forward() is non-const in torch
  std::shared_ptr<const data::Tokenizer> tokenizer_;
  PredictOptions options_;
  data::LabelSchema schema_;
  std::vector<int32_t> column_of_tag_;  // schema tag id -> model output column
};

}  // namespace triage::model
