// Training-loss comparison of the two kernel modes: a small BERT trained for N steps by the
// real trainer step with the same data, initial weights and optimizer under `fused` and under
// `torch`; the losses must follow the same curve. Dropout is 0 so the two runs see the same
// function (their dropout masks come from different RNGs).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "kernels/kernel_mode.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "model/encoder.h"
#include "train/train_config.h"
#include "train/trainer.h"

namespace triage::kernels::testing {

inline model::ModelConfig training_config() {
  nlohmann::json j = {{"model_type", "bert"},
                      {"vocab_size", 211},
                      {"hidden_size", 100},
                      {"num_hidden_layers", 2},
                      {"num_attention_heads", 4},
                      {"intermediate_size", 164},
                      {"max_position_embeddings", 40},
                      {"type_vocab_size", 2},
                      {"hidden_dropout_prob", 0.0},
                      {"attention_probs_dropout_prob", 0.0},
                      {"id2label", {{"0", "O"}, {"1", "B-a"}, {"2", "I-a"}, {"3", "B-b"}, {"4", "I-b"}}}};
  return model::config_from_json(j, "training_config");
}

// The batches: labels are a function of the token id (learnable), -100 at padding; sequence
// lengths vary from 1 to the batch's length. No intents.
class LearnableBatches : public train::BatchSource {
 public:
  explicit LearnableBatches(const model::ModelConfig& cfg) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
    for (int64_t i = 0; i < kBatches; ++i) {
      auto id = torch::randint(1, cfg.vocab_size, {kBatch, kSeq}, gen, torch::kLong);
      auto len = torch::randint(1, kSeq + 1, {kBatch, 1}, gen, torch::kLong);
      auto mask = torch::arange(kSeq, torch::kLong).unsqueeze(0) < len;
      id = id.masked_fill(mask.logical_not(), 0);
      train::TensorBatch b;
      b.input_ids = id;
      b.attention_mask = mask.to(torch::kLong);
      b.labels = (id % 5).masked_fill(mask.logical_not(), -100);
      b.tokens = mask.sum().item<int64_t>();
      batches_.push_back(b);
    }
  }
  int64_t batches_in_epoch(int64_t) const override { return kBatches; }
  train::TensorBatch batch(int64_t, int64_t index) const override { return batches_[static_cast<size_t>(index)]; }

 private:
  static constexpr int64_t kBatch = 8, kSeq = 32, kBatches = 4;
  std::vector<train::TensorBatch> batches_;
};

// The training loss of each of `steps` optimizer steps of the real trainer step
// (train::Trainer: the objective of train/loss.h, FusedAdamW) under kernel mode `mode`, with
// the same data and initial weights; precision bf16 is the trainer's bf16 autocast. Every step
// is one batch (no accumulation), lr 1e-3 constant, no clipping, no evaluation.
inline std::vector<double> train_losses(KernelMode mode, torch::Device device, torch::ScalarType dtype, int steps) {
  const auto cfg = training_config();
  torch::manual_seed(0);
  model::Checkpoint ck;
  ck.model = model::TokenClassifier(cfg);
  ck.model->init_heads(1);
  LearnableBatches batches(cfg);
  const auto dir = std::filesystem::temp_directory_path() /
                   ("triage-fused-training-" + std::to_string(::getpid()) + "-" + to_string(mode));
  std::filesystem::remove_all(dir);
  train::TrainConfig tc;
  tc.model.kernels = mode;
  tc.run.device = device.is_cuda() ? train::DeviceSetting::cuda : train::DeviceSetting::cpu;
  tc.run.precision = dtype == torch::kBFloat16 ? train::Precision::bf16 : train::Precision::fp32;
  tc.run.epochs = steps;
  tc.run.max_steps = steps;
  tc.run.log_every = 1;
  tc.run.output_dir = dir.string();
  tc.optim.lr = 1e-3;
  tc.optim.warmup_steps = 0;
  tc.optim.schedule = train::Schedule::constant;
  tc.optim.max_grad_norm = 0;
  tc.optim.grad_accum = 1;
  std::vector<double> losses;
  {
    train::Trainer t(tc, std::move(ck), batches, {}, {});
    t.run();
    std::ifstream in(dir / "metrics.jsonl");
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line);
      if (j["type"] == "train") losses.push_back(j["loss"].get<double>());
    }
  }
  std::filesystem::remove_all(dir);
  return losses;
}

// Largest |fused - torch| / |torch| over the steps.
inline double max_relative_difference(const std::vector<double>& fused, const std::vector<double>& torch_losses) {
  double worst = 0;
  for (size_t i = 0; i < fused.size() && i < torch_losses.size(); ++i)
    worst = std::max(worst, std::abs(fused[i] - torch_losses[i]) / std::max(1e-12, std::abs(torch_losses[i])));
  return worst;
}

}  // namespace triage::kernels::testing
