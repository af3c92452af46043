// Windowed, batched inference and decoding.
#include "model/predictor.h"

#include <algorithm>
#include <cstring>

#include <torch/torch.h>

#include "core/error.h"
#include "data/align.h"
#include "data/batching.h"

namespace triage::model {

data::LabelSchema schema_from_config(const ModelConfig& config) {
  std::vector<std::string> types;
  for (const auto& l : config.labels) {
    if (l == "O") continue;
    if (l.size() < 3 || (l[0] != 'B' && l[0] != 'I') || l[1] != '-')
      throw InputError("config.json: key 'id2label': label '" + l + "' is not O, B-<type> or I-<type>");
    types.push_back(l.substr(2));
  }
  std::sort(types.begin(), types.end());
  types.erase(std::unique(types.begin(), types.end()), types.end());
  return data::LabelSchema(types, config.intent_labels);
}

Predictor::Predictor(TokenClassifier model, std::shared_ptr<const data::Tokenizer> tokenizer, PredictOptions options)
    : model_(std::move(model)), tokenizer_(std::move(tokenizer)), options_(options) {
  if (!tokenizer_) throw InputError("the checkpoint has no tokenizer: prediction needs one");
  schema_ = schema_from_config(model_->config());
  const auto& labels = model_->config().labels;
  for (const auto& tag : schema_.tags()) {
    auto it = std::find(labels.begin(), labels.end(), tag);
    if (it == labels.end())
      throw InputError("config.json: key 'id2label': has no '" + tag + "' although it has the entity type; "
                       "a BIO schema needs both B- and I- tags of every type");
    column_of_tag_.push_back(static_cast<int32_t>(it - labels.begin()));
  }
  if (options_.windows.max_seq_len > model_->config().max_position_embeddings - model_->config().position_offset())
    throw InputError("max_seq_len " + std::to_string(options_.windows.max_seq_len) + " exceeds the model's " +
                     std::to_string(model_->config().max_position_embeddings - model_->config().position_offset()) +
                     " positions");
  if (options_.decode == data::DecodeMode::crf && !model_->has_crf())
    throw InputError("decode mode crf: the checkpoint has no CRF head (config.json \"triage_head\": \"crf\")");
}

int32_t PreparedExample::max_len() const {
  int32_t m = 0;
  for (const auto& f : features) m = std::max(m, f.size());
  return m;
}

data::EncodedExample Predictor::encode(const data::Example& example) const {
  return data::encode_example(*tokenizer_, example, nullptr);
}

PreparedExample Predictor::prepare(data::EncodedExample encoded) const {
  PreparedExample p;
  p.encoded = std::move(encoded);
  data::append_features(p.encoded, 0, tokenizer_->special(), options_.windows, p.features);
  return p;
}

std::vector<Prediction> Predictor::predict(const std::vector<data::Example>& examples) const {
  std::vector<PreparedExample> prepared;
  prepared.reserve(examples.size());
  std::vector<const data::Example*> ex;
  std::vector<const PreparedExample*> pp;
  for (const auto& e : examples) {
    prepared.push_back(prepare(encode(e)));
    ex.push_back(&e);
  }
  for (const auto& p : prepared) pp.push_back(&p);
  return predict_prepared(ex, pp);
}

std::vector<Prediction> Predictor::predict_prepared(const std::vector<const data::Example*>& examples,
                                                    const std::vector<const PreparedExample*>& prepared) const {
  if (examples.size() != prepared.size())
    throw Error("predict_prepared: " + std::to_string(examples.size()) + " examples but " +
                std::to_string(prepared.size()) + " prepared inputs");
  torch::InferenceMode guard;
  const bool was_training = model_->is_training();
  if (was_training) model_->eval();  // (a walk over every module: not on the serving path)
  const auto device = model_->classifier->weight.device();
  std::vector<data::Feature> features;
  for (size_t i = 0; i < prepared.size(); ++i)
    for (const auto& f : prepared[i]->features) {
      features.push_back(f);
      features.back().example = static_cast<int32_t>(i);
    }
  const int64_t n_cols = static_cast<int64_t>(model_->config().labels.size());
  const int32_t n_tags = schema_.num_tags();
  const int64_t n_intents = model_->has_intent_head() ? static_cast<int64_t>(schema_.num_intents()) : 0;
  // per feature: its content rows' tag probabilities in schema order, and intent probs
  std::vector<std::vector<float>> feature_probs(features.size());
  std::vector<std::vector<float>> feature_intent(features.size());
  std::vector<int32_t> lengths;
  for (const auto& f : features) lengths.push_back(f.size());
  data::BatchOptions bo;
  bo.max_tokens = options_.max_tokens;
  bo.max_batch_size = options_.max_batch_size;
  bo.shuffle = false;
  const auto plan = data::plan_batches(lengths, bo, 0, 0);
  const int32_t pad = std::max(0, tokenizer_->special().pad);
  for (const auto& idx : plan) {
    const auto b = data::collate(features, idx, pad);
    auto ids = torch::from_blob(const_cast<int64_t*>(b.input_ids.data()), {b.rows, b.seq_len}, torch::kLong).to(device);
    // Decided on the host: an unpadded batch (every lone message) runs without a mask.
    const bool padded = std::find(b.attention_mask.begin(), b.attention_mask.end(), 0) != b.attention_mask.end();
    torch::Tensor mask;
    if (padded) mask = torch::from_blob(const_cast<int64_t*>(b.attention_mask.data()), {b.rows, b.seq_len}, torch::kLong).to(device);
    auto out = model_->forward(ids, mask);
    auto probs = torch::softmax(out.token_logits.to(torch::kFloat), -1).to(torch::kCPU).contiguous();  // [rows, seq, cols]
    torch::Tensor iprobs;
    if (n_intents) iprobs = torch::softmax(out.intent_logits.to(torch::kFloat), -1).to(torch::kCPU).contiguous();
    const float* p = probs.data_ptr<float>();
    for (int64_t r = 0; r < b.rows; ++r) {
      const int32_t fi = b.features[static_cast<size_t>(r)];
      const auto& f = features[static_cast<size_t>(fi)];
      const int32_t content = f.span.end - f.span.begin;
      auto& dst = feature_probs[static_cast<size_t>(fi)];
      dst.resize(static_cast<size_t>(content) * n_tags);
      for (int32_t t = 0; t < content; ++t) {
        const float* row = p + (r * b.seq_len + 1 + t) * n_cols;  // +1 skips [CLS]
        for (int32_t k = 0; k < n_tags; ++k) dst[static_cast<size_t>(t) * n_tags + k] = row[column_of_tag_[k]];
      }
      if (n_intents) {
        const float* ip = iprobs.data_ptr<float>() + r * n_intents;
        feature_intent[static_cast<size_t>(fi)].assign(ip, ip + n_intents);
      }
    }
  }
  // group features per example, merge windows, decode
  std::vector<Prediction> out(examples.size());
  std::vector<std::vector<int32_t>> of_example(examples.size());
  for (size_t fi = 0; fi < features.size(); ++fi) of_example[static_cast<size_t>(features[fi].example)].push_back(static_cast<int32_t>(fi));
  std::vector<float> merged;
  // Read each call: the trainer's dev evaluation decodes with the transitions as they are now.
  data::Transitions crf;
  if (options_.decode == data::DecodeMode::crf) crf = model_->crf->transitions_for(column_of_tag_);
  for (size_t e = 0; e < examples.size(); ++e) {
    auto& pred = out[e];
    const auto& enc = prepared[e]->encoded;
    const int32_t n = static_cast<int32_t>(enc.size());
    pred.subwords = n;
    pred.windows = static_cast<int32_t>(of_example[e].size());
    std::vector<data::Window> windows;
    std::vector<const float*> rows;
    for (int32_t fi : of_example[e]) {
      windows.push_back(features[static_cast<size_t>(fi)].span);
      rows.push_back(feature_probs[static_cast<size_t>(fi)].data());
    }
    if (windows.size() == 1) {
      merged = feature_probs[static_cast<size_t>(of_example[e][0])];
    } else {
      data::merge_windows(windows, rows, n, n_tags, merged);
    }
    pred.decoded = data::decode_tags(merged.data(), n, n_tags, enc.offsets, examples[e]->words, options_.aggregation,
                                     options_.decode, &crf, options_.token_temperature);
    if (n_intents) {
      pred.intent_probs.assign(static_cast<size_t>(n_intents), 0.0f);
      for (int32_t fi : of_example[e])
        for (int64_t k = 0; k < n_intents; ++k) pred.intent_probs[static_cast<size_t>(k)] += feature_intent[static_cast<size_t>(fi)][static_cast<size_t>(k)];
      for (auto& v : pred.intent_probs) v /= static_cast<float>(of_example[e].size());
      data::temper_row(pred.intent_probs.data(), static_cast<int32_t>(n_intents), options_.intent_temperature);
      pred.intent = static_cast<int32_t>(std::max_element(pred.intent_probs.begin(), pred.intent_probs.end()) - pred.intent_probs.begin());
    }
  }
  if (was_training) model_->train();
  return out;
}

data::PreAnnotation pre_annotation(const Prediction& p, const std::vector<std::string>& entity_types,
                                   const std::vector<std::string>& intents) {
  data::PreAnnotation pre;
  pre.score = 1.0f;
  for (const auto& sp : p.decoded.spans) {
    pre.spans.push_back({sp.start, sp.end, entity_types.at(static_cast<size_t>(sp.type))});
    pre.span_scores.push_back(sp.score);
    pre.score = std::min(pre.score, sp.score);
  }
  if (p.intent >= 0) {
    pre.intent = intents.at(static_cast<size_t>(p.intent));
    pre.intent_score = p.intent_probs.at(static_cast<size_t>(p.intent));
    pre.score = std::min(pre.score, pre.intent_score);
  }
  return pre;
}

}  // namespace triage::model
