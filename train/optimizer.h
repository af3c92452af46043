// AdamW with Hugging Face's parameter grouping (no weight decay on biases and LayerNorm
// weights) and the learning-rate schedule: linear warmup, then linear, cosine or constant.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <torch/nn/module.h>
#include <torch/optim/adamw.h>

#include "train/train_config.h"

namespace triage::train {

struct OptimizerSettings {
  double lr = 5e-5, weight_decay = 0.01, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double crf_lr_multiplier = 1.0;  // the CRF group's lr is lr x this
};

// torch::optim::AdamW whose step() runs the fused multi-tensor AdamW (kernels/adamw: one
// pass per tensor, the intra-op threads on CPU, one launch on CUDA) instead of torch's six
// element-wise passes. Same arithmetic (kernels_test checks it against torch::optim::AdamW)
// and the same state objects, so torch::save / torch::load of the optimizer are unchanged.
// Options torch's AdamW has and this does not: amsgrad (rejected at construction).
class FusedAdamW : public torch::optim::AdamW {
 public:
  using torch::optim::AdamW::AdamW;
  torch::Tensor step(LossClosure closure = nullptr) override;
};

// Parameter groups: decayed weights; biases + LayerNorm weights without decay; and, when the
// model has a CRF head, its transition scores (no decay, lr x crf_lr_multiplier) third.
// `fused` = false: torch's own AdamW step (kept for comparisons).
std::unique_ptr<torch::optim::AdamW> make_adamw(torch::nn::Module& model, const OptimizerSettings& s,
                                                bool fused = true);

// Learning-rate multiplier at optimizer step `step` (0-based, before the update), as
// transformers' get_{linear,cosine,constant}_schedule_with_warmup.
class LrSchedule {
 public:
  LrSchedule(Schedule kind, int64_t warmup_steps, int64_t total_steps);
  double factor(int64_t step) const;
  int64_t warmup_steps() const { return warmup_; }
  int64_t total_steps() const { return total_; }

 private:
  Schedule kind_;
  int64_t warmup_, total_;
};

// Sets every group's lr to lr, the CRF group's (make_adamw's third) to lr x crf_lr_multiplier.
void set_lr(torch::optim::Optimizer& opt, double lr, double crf_lr_multiplier = 1.0);

}  // namespace triage::train
