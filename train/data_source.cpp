// Reading, aligning and batching the training data.
#include "train/data_source.h"

#include <cstring>

#include <torch/torch.h>

#include "core/error.h"
#include "data/align.h"
#include "data/readers.h"

namespace triage::train {

std::vector<data::Example> read_split(const std::string& path, std::optional<data::Format> format) {
  std::vector<data::Example> out;
  for (const auto& src : data::find_sources(path, format)) {
    auto part = data::read_all(src.path, src.format);
    for (auto& e : part) out.push_back(std::move(e));
  }
  return out;
}

std::vector<data::Feature> make_features(const std::vector<data::Example>& examples, const data::Tokenizer& tok,
                                         const data::LabelSchema& schema, const data::WindowOptions& windows,
                                         bool label_all_subwords, FeatureStats* stats) {
  std::vector<data::Feature> features;
  data::EncodeOptions eo;
  eo.label_mode = label_all_subwords ? data::LabelMode::all_subwords : data::LabelMode::first_subword;
  FeatureStats s;
  for (size_t i = 0; i < examples.size(); ++i) {
    const auto enc = data::encode_example(tok, examples[i], &schema, eo);
    const size_t before = features.size();
    data::append_features(enc, static_cast<int32_t>(i), tok.special(), windows, features);
    s.examples++;
    s.subwords += static_cast<int64_t>(enc.size());
    s.windowed_examples += features.size() - before > 1;
    s.unseen_entities += enc.unseen_entities;
    s.cut_spans += enc.cut_spans;
  }
  s.features = static_cast<int64_t>(features.size());
  if (stats) *stats = s;
  return features;
}

FeatureBatchSource::FeatureBatchSource(std::vector<data::Feature> features, data::BatchOptions options, uint64_t seed,
                                       int32_t pad_id, int32_t rank, int32_t world_size)
    : features_(std::move(features)), options_(options), seed_(seed), pad_(pad_id), rank_(rank), world_(world_size) {
  for (const auto& f : features_) lengths_.push_back(f.size());
}

const std::vector<std::vector<int32_t>>& FeatureBatchSource::plan(int64_t epoch) const {
  if (cached_epoch_ != epoch) {
    auto p = data::plan_batches(lengths_, options_, seed_, static_cast<uint64_t>(epoch));
    cached_ = world_ > 1 ? data::shard_batches(p, rank_, world_) : std::move(p);
    cached_epoch_ = epoch;
  }
  return cached_;
}

int64_t FeatureBatchSource::batches_in_epoch(int64_t epoch) const { return static_cast<int64_t>(plan(epoch).size()); }

TensorBatch FeatureBatchSource::batch(int64_t epoch, int64_t index) const {
  const auto& idx = plan(epoch).at(static_cast<size_t>(index));
  const auto b = data::collate(features_, idx, pad_);
  TensorBatch t;
  auto from = [&](const std::vector<int64_t>& v, std::vector<int64_t> shape) {
    auto x = torch::empty(shape, torch::kLong);
    if (!v.empty()) std::memcpy(x.data_ptr<int64_t>(), v.data(), v.size() * sizeof(int64_t));
    return x;
  };
  t.input_ids = from(b.input_ids, {b.rows, b.seq_len});
  t.attention_mask = from(b.attention_mask, {b.rows, b.seq_len});
  t.labels = b.labels.empty() ? torch::full({b.rows, b.seq_len}, -100, torch::kLong) : from(b.labels, {b.rows, b.seq_len});
  t.intents = from(b.intents, {b.rows});
  t.tokens = b.real_tokens;
  return t;
}

std::vector<float> class_weights(const std::vector<data::Feature>& features, const data::LabelSchema& schema,
                                 ClassWeights mode, const std::vector<std::string>& explicit_values) {
  const int32_t n = schema.num_tags();
  std::vector<float> w(static_cast<size_t>(n), 1.0f);
  if (mode == ClassWeights::inverse) {
    std::vector<double> count(static_cast<size_t>(n), 0.0);
    for (const auto& f : features)
      for (int32_t l : f.labels)
        if (l >= 0 && l < n) count[static_cast<size_t>(l)] += 1;
    double total = 0;
    int present = 0;
    for (double c : count) {
      total += c;
      present += c > 0;
    }
    double mean = 0;
    for (int32_t k = 0; k < n; ++k) {
      const double c = count[static_cast<size_t>(k)];
      w[static_cast<size_t>(k)] = c > 0 ? static_cast<float>(total / (present * c)) : 0.0f;
      mean += w[static_cast<size_t>(k)];
    }
    mean /= std::max(1, present);
    for (auto& x : w) x = x > 0 ? static_cast<float>(x / mean) : 1.0f;
  }
  for (const auto& kv : explicit_values) {
    const auto eq = kv.rfind('=');
    if (eq == std::string::npos) throw InputError("loss.class_weight_values: '" + kv + "' is not label=weight");
    const auto label = kv.substr(0, eq);
    const int32_t id = schema.tag_id(label);
    if (id < 0) throw InputError("loss.class_weight_values: unknown tag '" + label + "' (tags come from the training data)");
    try {
      w[static_cast<size_t>(id)] = std::stof(kv.substr(eq + 1));
    } catch (const std::exception&) {
      throw InputError("loss.class_weight_values: '" + kv + "': weight is not a number");
    }
  }
  return w;
}

}  // namespace triage::train
