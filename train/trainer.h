// The fine-tuning loop, in one process or as one rank of a data-parallel job: AdamW +
// warmup/decay schedule, gradient accumulation and clipping, bf16 autocast on CUDA,
// periodic dev evaluation, best/last checkpoints written atomically, early stopping,
// metrics.jsonl, and exact resume (optimizer moments, schedule step, RNG state of every
// rank, data position) from last/training_state.
//
// Loss normalisation: an optimizer step's loss is the token cross-entropy averaged over
// every labelled sub-word of the step (all its micro-batches, on all ranks) plus
// loss.intent_weight x the intent cross-entropy averaged over every labelled utterance of
// the step. So a step's gradient depends only on which features the step holds, not on
// how they are split into micro-batches or ranks: W ranks x grad_accum A equal one
// process with grad_accum W*A (BatchSource shards deal batch i to rank i % W).
//
// With several ranks: weights are broadcast from rank 0 at the start; gradients are
// summed in buckets overlapped with backward (GradSync) before clipping; rank 0 alone
// evaluates on dev (the others wait, dist.eval_timeout_s) and writes checkpoints,
// metrics.jsonl and logs; stop requests and early stopping are agreed by all ranks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include "model/checkpoint.h"
#include "train/comm.h"
#include "train/train_config.h"

namespace triage::train {

// One padded batch on the CPU. labels use -100 for ignored sub-words; intents -100 when absent.
struct TensorBatch {
  torch::Tensor input_ids;       // [batch, seq] int64
  torch::Tensor attention_mask;  // [batch, seq] int64
  torch::Tensor labels;          // [batch, seq] int64
  torch::Tensor intents;         // [batch] int64 or undefined
  int64_t tokens = 0;            // non-padding sub-words
};

// Deterministic batches: batch(epoch, i) is the same on every call and every run.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual int64_t batches_in_epoch(int64_t epoch) const = 0;
  virtual TensorBatch batch(int64_t epoch, int64_t index) const = 0;
};

// Dev/test evaluation of the model in its current state: metric name -> value
// (entity_f1, intent_accuracy, frame_accuracy, ...).
using Evaluator = std::function<std::map<std::string, double>(model::TokenClassifier&)>;

struct TrainSummary {
  int64_t steps = 0;
  int64_t epochs_completed = 0;
  double best_metric = -1;
  int64_t best_step = -1;
  double tokens_per_second = 0;
  double seconds = 0;
  bool early_stopped = false;
  bool interrupted = false;  // should_stop() ended the run; resume continues it
  std::filesystem::path best_dir, last_dir;
};

class Trainer {
 public:
  // ck: the model to fine-tune (heads already sized for the label schema), with its
  // tokenizer; meta: written into triage.json of every checkpoint (labels, data, config).
  // comm: this rank's communicator (null: one process); train must then be this rank's
  // shard, with the same number of batches on every rank. local_rank picks the GPU.
  Trainer(TrainConfig config, model::Checkpoint ck, const BatchSource& train, Evaluator dev,
          model::CheckpointMeta meta, Communicator* comm = nullptr, int local_rank = 0);
  ~Trainer();
  // Continues from dir/last/training_state (dir = run.output_dir of the interrupted run,
  // or its last/ directory). Weights come from the checkpoint beside the state.
  void resume(const std::filesystem::path& dir);
  // Trains to the end, or until should_stop() returns true after an optimizer step (a
  // signal handler's flag): then last/ with the resume state is saved and run() returns.
  TrainSummary run(const std::function<bool()>& should_stop = {});
  // Called with every record written to metrics.jsonl (rank 0): the MLflow tracker's feed.
  void on_record(std::function<void(const nlohmann::json&)> sink);
  // Token class weights for the loss ([num_labels]); empty = none.
  void set_class_weights(const std::vector<float>& weights);
  model::TokenClassifier& model();
  torch::Device device() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The device run.device resolves to (auto: CUDA when available); CUDA device local_rank.
torch::Device resolve_device(DeviceSetting setting, int local_rank = 0);

}  // namespace triage::train
