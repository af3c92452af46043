// AdamW parameter groups and warmup/decay schedules.
#include "train/optimizer.h"

#include <cmath>

#include <torch/torch.h>

#include "data/error.h"

namespace triage::train {

std::unique_ptr<torch::optim::AdamW> make_adamw(torch::nn::Module& model, const OptimizerSettings& s) {
  std::vector<torch::Tensor> decay, no_decay;
  for (const auto& item : model.named_parameters(true)) {
    if (!item.value().requires_grad()) continue;
    const auto& n = item.key();
    const bool is_bias = n.size() >= 5 && n.compare(n.size() - 5, 5, ".bias") == 0;
    const bool is_norm = n.find("LayerNorm") != std::string::npos;
    (is_bias || is_norm ? no_decay : decay).push_back(item.value());
  }
  auto base = torch::optim::AdamWOptions(s.lr).betas({s.beta1, s.beta2}).eps(s.eps);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(
                                 torch::optim::AdamWOptions(base).weight_decay(s.weight_decay)));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                    torch::optim::AdamWOptions(base).weight_decay(0.0)));
  return std::make_unique<torch::optim::AdamW>(std::move(groups), base);
}

LrSchedule::LrSchedule(std::string kind, int64_t warmup, int64_t total)
    : kind_(std::move(kind)), warmup_(warmup), total_(total) {
  if (kind_ != "linear" && kind_ != "cosine" && kind_ != "constant")
    throw InputError("optim.schedule: expected linear, cosine or constant, found '" + kind_ + "'");
  if (total_ < 1) throw InputError("training has no optimizer steps (empty training data or run.max_steps = 0)");
}

double LrSchedule::factor(int64_t step) const {
  if (step < warmup_) return static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup_));
  if (kind_ == "constant") return 1.0;
  const double progress =
      static_cast<double>(step - warmup_) / static_cast<double>(std::max<int64_t>(1, total_ - warmup_));
  if (kind_ == "linear") return std::max(0.0, 1.0 - progress);
  return std::max(0.0, 0.5 * (1.0 + std::cos(M_PI * progress)));  // cosine, half a cycle
}

void set_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
}

}  // namespace triage::train
