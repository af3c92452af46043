// AdamW parameter groups and warmup/decay schedules.
#include "train/optimizer.h"

#include <cmath>

#include <torch/torch.h>

#include "core/error.h"
#include "kernels/adamw/adamw.h"

namespace triage::train {

torch::Tensor FusedAdamW::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  for (auto& group : param_groups()) {
    const auto& o = static_cast<const torch::optim::AdamWOptions&>(group.options());
    TORCH_CHECK(!o.amsgrad(), "FusedAdamW: amsgrad is not supported");
    std::vector<torch::Tensor> params, grads, exp_avg, exp_avg_sq;
    int64_t step = -1;
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      TORCH_CHECK(!p.grad().is_sparse(), "FusedAdamW: sparse gradients are not supported");
      auto& slot = state()[p.unsafeGetTensorImpl()];
      if (!slot) {
        auto st = std::make_unique<torch::optim::AdamWParamState>();
        st->step(0);
        st->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        st->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        slot = std::move(st);
      }
      auto& st = static_cast<torch::optim::AdamWParamState&>(*slot);
      st.step(st.step() + 1);
      // One step count per call to the kernel: every tensor of a group steps together
      // (true unless a tensor had no gradient on some earlier step; then run it alone).
      if (step != -1 && st.step() != step) {
        kernels::adamw_step({p}, {p.grad()}, {st.exp_avg()}, {st.exp_avg_sq()}, st.step(), o.lr(),
                            std::get<0>(o.betas()), std::get<1>(o.betas()), o.eps(), o.weight_decay());
        continue;
      }
      step = st.step();
      params.push_back(p);
      grads.push_back(p.grad());
      exp_avg.push_back(st.exp_avg());
      exp_avg_sq.push_back(st.exp_avg_sq());
    }
    if (!params.empty())
      kernels::adamw_step(params, grads, exp_avg, exp_avg_sq, step, o.lr(), std::get<0>(o.betas()),
                          std::get<1>(o.betas()), o.eps(), o.weight_decay());
  }
  return loss;
}

std::unique_ptr<torch::optim::AdamW> make_adamw(torch::nn::Module& model, const OptimizerSettings& s, bool fused) {
  std::vector<torch::Tensor> decay, no_decay, crf;
  for (const auto& item : model.named_parameters(true)) {
    if (!item.value().requires_grad()) continue;
    const auto& n = item.key();
    if (n.rfind("crf.", 0) == 0) {
      crf.push_back(item.value());
      continue;
    }
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
  if (!crf.empty())
    groups.emplace_back(crf, std::make_unique<torch::optim::AdamWOptions>(
                                 torch::optim::AdamWOptions(base).lr(s.lr * s.crf_lr_multiplier).weight_decay(0.0)));
  if (fused) return std::make_unique<FusedAdamW>(std::move(groups), base);
  return std::make_unique<torch::optim::AdamW>(std::move(groups), base);
}

LrSchedule::LrSchedule(Schedule kind, int64_t warmup, int64_t total) : kind_(kind), warmup_(warmup), total_(total) {
  if (total_ < 1) throw InputError("training has no optimizer steps (empty training data or run.max_steps = 0)");
}

double LrSchedule::factor(int64_t step) const {
  if (step < warmup_) return static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup_));
  if (kind_ == Schedule::constant) return 1.0;
  const double progress =
      static_cast<double>(step - warmup_) / static_cast<double>(std::max<int64_t>(1, total_ - warmup_));
  if (kind_ == Schedule::linear) return std::max(0.0, 1.0 - progress);
  return std::max(0.0, 0.5 * (1.0 + std::cos(M_PI * progress)));  // cosine, half a cycle
}

void set_lr(torch::optim::Optimizer& opt, double lr, double crf_lr_multiplier) {
  auto& groups = opt.param_groups();
  for (size_t i = 0; i < groups.size(); ++i)
    static_cast<torch::optim::AdamWOptions&>(groups[i].options()).lr(i == 2 ? lr * crf_lr_multiplier : lr);
}

}  // namespace triage::train
