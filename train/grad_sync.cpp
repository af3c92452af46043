// Bucketed, backward-overlapped gradient all-reduce.
#include "train/grad_sync.h"

#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/torch.h>

#include "core/error.h"

namespace triage::train {

class GradSync::Hook : public torch::autograd::PostAccumulateGradHook {
 public:
  Hook(GradSync* s, size_t i) : s_(s), i_(i) {}
  void operator()(const torch::autograd::Variable&) override { s_->on_ready(i_); }

 private:
  GradSync* s_;
  size_t i_;
};

GradSync::GradSync(Communicator& comm, std::vector<torch::Tensor> params, int64_t bucket_bytes, bool overlap)
    : comm_(comm), params_(std::move(params)), overlap_(overlap) {
  if (params_.empty()) return;
  const auto opts = params_.front().options().requires_grad(false);
  for (const auto& p : params_)
    if (p.scalar_type() != torch::kFloat || p.device() != params_.front().device())
      throw Error("GradSync: every parameter must be fp32 on one device");
  bucket_of_.assign(params_.size(), 0);
  arrived_.assign(params_.size(), false);
  const int64_t cap = std::max<int64_t>(1, bucket_bytes / static_cast<int64_t>(sizeof(float)));
  for (size_t k = params_.size(); k-- > 0;) {
    const int64_t n = params_[k].numel();
    if (buckets_.empty() || (buckets_.back().numel > 0 && buckets_.back().numel + n > cap)) buckets_.emplace_back();
    auto& b = buckets_.back();
    b.params.push_back(k);
    b.offsets.push_back(b.numel);
    b.numel += n;
    bucket_of_[k] = buckets_.size() - 1;
  }
  for (auto& b : buckets_) {
    b.flat = torch::zeros({b.numel + static_cast<int64_t>(b.params.size())}, opts);
    b.pending = static_cast<int>(b.params.size());
  }
  for (size_t k = 0; k < params_.size(); ++k)
    torch::autograd::impl::set_post_acc_grad_hooks(params_[k], std::make_unique<Hook>(this, k));
}

GradSync::~GradSync() {
  for (auto& p : params_) torch::autograd::impl::set_post_acc_grad_hooks(p, nullptr);
}

void GradSync::arm() {
  std::lock_guard<std::mutex> lock(mu_);
  armed_ = true;
}

void GradSync::on_ready(size_t k) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!armed_ || arrived_[k]) return;
  arrived_[k] = true;
  --buckets_[bucket_of_[k]].pending;
  if (overlap_) launch_in_order_locked(false);
}

void GradSync::launch_in_order_locked(bool all) {
  while (next_launch_ < buckets_.size() && (all || buckets_[next_launch_].pending == 0))
    launch_locked(buckets_[next_launch_++]);
}

void GradSync::launch_locked(Bucket& b) {
  torch::NoGradGuard ng;
  auto flags = torch::zeros({static_cast<int64_t>(b.params.size())}, torch::kFloat);  // host
  for (size_t j = 0; j < b.params.size(); ++j) {
    const auto& g = params_[b.params[j]].grad();
    auto dst = b.flat.narrow(0, b.offsets[j], params_[b.params[j]].numel());
    if (g.defined()) {
      dst.copy_(g.reshape({-1}));
      flags.data_ptr<float>()[j] = 1.0f;
    } else {
      dst.zero_();
    }
  }
  b.flat.narrow(0, b.numel, flags.numel()).copy_(flags);
  b.work = comm_.all_reduce_sum_async(b.flat);
}

void GradSync::finish() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    launch_in_order_locked(true);
  }
  torch::NoGradGuard ng;
  for (auto& b : buckets_) {
    b.work->wait();
    b.work.reset();
    auto flags = b.flat.narrow(0, b.numel, static_cast<int64_t>(b.params.size())).to(torch::kCPU);
    const float* f = flags.data_ptr<float>();
    for (size_t j = 0; j < b.params.size(); ++j) {
      auto& p = params_[b.params[j]];
      if (f[j] == 0.0f) continue;  // no rank has a gradient: stays undefined
      auto sum = b.flat.narrow(0, b.offsets[j], p.numel()).view(p.sizes());
      if (p.grad().defined()) {
        p.mutable_grad().copy_(sum);
      } else {
        p.mutable_grad() = sum.clone();
      }
    }
    b.pending = static_cast<int>(b.params.size());
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::fill(arrived_.begin(), arrived_.end(), false);
  next_launch_ = 0;
  armed_ = false;
}

}  // namespace triage::train
