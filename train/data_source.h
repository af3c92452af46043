// Training data for the loop: examples read and aligned once (features = windows of
// sub-word ids with labels), then per-epoch batch plans from the data layer's
// length-bucketed, sharded batching, collated into CPU tensors.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "data/batching.h"
#include "data/example.h"
#include "data/labels.h"
#include "data/tokenizer.h"
#include "data/windows.h"
#include "train/trainer.h"

namespace triage::train {

// Reads every source under path (file, split folder or dataset folder); format "auto"
// lets the path decide. Throws InputError with file:line on bad data.
std::vector<data::Example> read_split(const std::string& path, std::optional<data::Format> format);

struct FeatureStats {
  int64_t examples = 0, features = 0, subwords = 0, windowed_examples = 0, unseen_entities = 0, cut_spans = 0;
};

std::vector<data::Feature> make_features(const std::vector<data::Example>& examples, const data::Tokenizer& tok,
                                         const data::LabelSchema& schema, const data::WindowOptions& windows,
                                         bool label_all_subwords, FeatureStats* stats = nullptr);

class FeatureBatchSource : public BatchSource {
 public:
  FeatureBatchSource(std::vector<data::Feature> features, data::BatchOptions options, uint64_t seed,
                     int32_t pad_id, int32_t rank = 0, int32_t world_size = 1);
  int64_t batches_in_epoch(int64_t epoch) const override;
  TensorBatch batch(int64_t epoch, int64_t index) const override;
  const std::vector<data::Feature>& features() const { return features_; }

 private:
  const std::vector<std::vector<int32_t>>& plan(int64_t epoch) const;
  std::vector<data::Feature> features_;
  std::vector<int32_t> lengths_;
  data::BatchOptions options_;
  uint64_t seed_;
  int32_t pad_, rank_, world_;
  mutable int64_t cached_epoch_ = -1;
  mutable std::vector<std::vector<int32_t>> cached_;
};

// Token class weights: "inverse" frequency over the features' labels (normalised to mean
// 1 over present classes), then explicit "label=weight" overrides.
std::vector<float> class_weights(const std::vector<data::Feature>& features, const data::LabelSchema& schema,
                                 ClassWeights mode, const std::vector<std::string>& explicit_values);

}  // namespace triage::train
