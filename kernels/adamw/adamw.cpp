// Multi-tensor AdamW dispatch: checks the tensor lists, then runs the reference per tensor on
// the CPU or builds the tensor table and launches the CUDA kernel once.
#include "kernels/adamw/adamw.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/autograd.h>

#include "kernels/adamw/adamw_impl.h"
#include "kernels/common/torch_util.h"

namespace triage::kernels {
namespace {
constexpr const char* kOp = "adamw_step";

std::string name(const char* list, size_t i) { return std::string(list) + "[" + std::to_string(i) + "]"; }
}  // namespace

void adamw_step(at::TensorList params, at::TensorList grads, at::TensorList exp_avg, at::TensorList exp_avg_sq,
                int64_t step, double lr, double beta1, double beta2, double eps, double weight_decay,
                const std::vector<bool>& decay, at::TensorList master_params) {
  const size_t n = params.size();
  TORCH_CHECK(grads.size() == n && exp_avg.size() == n && exp_avg_sq.size() == n, kOp,
              ": params, grads, exp_avg and exp_avg_sq must have the same length, got ", n, ", ", grads.size(), ", ",
              exp_avg.size(), ", ", exp_avg_sq.size());
  TORCH_CHECK(decay.empty() || decay.size() == n, kOp, ": decay has ", decay.size(), " flags for ", n, " tensors");
  TORCH_CHECK(master_params.empty() || master_params.size() == n, kOp, ": master_params has ", master_params.size(),
              " tensors for ", n, " params");
  TORCH_CHECK(step >= 1, kOp, ": step counts from 1, got ", step);
  if (n == 0) return;
  at::NoGradGuard no_grad;
  const auto device = params[0].device();
  const bool masters = !master_params.empty();
  std::vector<AdamWTensor> table;
  table.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (!grads[i].defined()) continue;
    const auto& p = params[i];
    detail::check_tensor(p, kOp, name("params", i).c_str(), device);
    detail::check_tensor(grads[i], kOp, name("grads", i).c_str(), device);
    detail::check_tensor(exp_avg[i], kOp, name("exp_avg", i).c_str(), device, at::kFloat);
    detail::check_tensor(exp_avg_sq[i], kOp, name("exp_avg_sq", i).c_str(), device, at::kFloat);
    if (masters) detail::check_tensor(master_params[i], kOp, name("master_params", i).c_str(), device, at::kFloat);
    for (const auto* t : {&grads[i], &exp_avg[i], &exp_avg_sq[i]})
      TORCH_CHECK(t->sizes() == p.sizes(), kOp, ": tensor ", i, " has shape ", t->sizes(), ", params[", i, "] ",
                  p.sizes());
    if (masters)
      TORCH_CHECK(master_params[i].sizes() == p.sizes(), kOp, ": master_params[", i, "] has shape ",
                  master_params[i].sizes(), ", params[", i, "] ", p.sizes());
    const DType pt = detail::kernel_dtype(p, kOp, name("params", i).c_str());
    const DType gt = detail::kernel_dtype(grads[i], kOp, name("grads", i).c_str());
    TORCH_CHECK(pt == DType::F32 || masters, kOp, ": params[", i,
                "] is BFloat16; pass fp32 master_params (a bf16-only update would lose small steps)");
    if (p.numel() == 0) continue;
    AdamWTensor t{};
    t.param = p.data_ptr();
    t.grad = grads[i].data_ptr();
    t.exp_avg = exp_avg[i].data_ptr<float>();
    t.exp_avg_sq = exp_avg_sq[i].data_ptr<float>();
    t.master = masters ? master_params[i].data_ptr<float>() : nullptr;
    t.numel = p.numel();
    t.param_bf16 = pt == DType::BF16;
    t.grad_bf16 = gt == DType::BF16;
    t.decay = decay.empty() || decay[i];
    table.push_back(t);
  }
  const AdamWScalars s = adamw_scalars(step, lr, beta1, beta2, eps, weight_decay);
  if (device.is_cuda()) {
#ifdef TRIAGE_WITH_CUDA
    detail::DeviceGuard guard(params[0]);
    const int64_t count = static_cast<int64_t>(table.size());
    auto device_table = at::empty({gpu::adamw_table_bytes(count)}, params[0].options().dtype(at::kByte));
    gpu::adamw_step(table.data(), count, device_table.data_ptr(), s, detail::stream_of(params[0]));
#else
    detail::no_cuda(kOp);
#endif
    return;
  }
  // CPU: the reference on fp32 views (bf16 params are written back from their masters),
  // split into element ranges over the intra-op threads. The update is element-wise, so the
  // result does not depend on the split or the thread count.
  constexpr int64_t kGrain = 1 << 15;
  size_t k = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!grads[i].defined() || params[i].numel() == 0) continue;
    const AdamWTensor& t = table[k++];
    auto g = grads[i].scalar_type() == at::kFloat ? grads[i] : grads[i].to(at::kFloat);
    auto target = masters ? master_params[i] : params[i];
    float* pp = target.data_ptr<float>();
    const float* gp = g.data_ptr<float>();
    const bool dec = t.decay != 0;
    at::parallel_for(0, t.numel, kGrain, [&](int64_t begin, int64_t end) {
      ref::adamw_tensor(pp + begin, gp + begin, t.exp_avg + begin, t.exp_avg_sq + begin, end - begin, s, dec);
    });
    if (masters) params[i].copy_(master_params[i]);
  }
}

}  // namespace triage::kernels
