// Token cross-entropy autograd wrapper: CPU tensors run the fp32 reference, CUDA tensors the
// kernel. The gradient is computed in forward and scaled by dloss in backward.
#include <stdexcept>

#include <torch/autograd.h>

#include "kernels/common/torch_util.h"
#include "kernels/cross_entropy/cross_entropy.h"
#include "kernels/cross_entropy/cross_entropy_impl.h"

namespace triage::kernels {
namespace {
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
constexpr const char* kOp = "token_cross_entropy";

struct CrossEntropyFunction : torch::autograd::Function<CrossEntropyFunction> {
  // logits [rows, classes] contiguous; targets [rows] int64 contiguous, same device.
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& logits, const at::Tensor& targets,
                            int64_t ignore_index) {
    const int64_t rows = logits.size(0), classes = logits.size(1);
    at::Tensor loss, grad;
    if (logits.is_cuda()) {
#ifdef TRIAGE_WITH_CUDA
      detail::DeviceGuard guard(logits);
      loss = at::empty({}, logits.options().dtype(at::kFloat));
      grad = at::empty_like(logits);
      auto ws = at::empty({rows + 1}, logits.options().dtype(at::kFloat));
      gpu::token_cross_entropy(detail::kernel_dtype(logits, kOp, "logits"), logits.data_ptr(),
                               targets.data_ptr<int64_t>(), rows, classes, ignore_index, loss.data_ptr<float>(),
                               grad.data_ptr(), ws.data_ptr<float>(), detail::stream_of(logits));
#else
      detail::no_cuda(kOp);
#endif
    } else {
      auto lf = detail::f32(logits);
      loss = at::empty({}, lf.options());
      grad = at::empty_like(lf);
      try {
        ref::token_cross_entropy(lf.data_ptr<float>(), targets.data_ptr<int64_t>(), rows, classes, ignore_index,
                                 loss.data_ptr<float>(), grad.data_ptr<float>());
      } catch (const std::out_of_range& e) {
        TORCH_CHECK_INDEX(false, e.what());
      }
      grad = grad.to(logits.scalar_type());
    }
    ctx->save_for_backward({grad});
    return loss;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto grad = ctx->get_saved_variables()[0];
    return {grad * grads[0].to(grad.scalar_type()), at::Tensor(), at::Tensor()};
  }
};
}  // namespace

at::Tensor token_cross_entropy(const at::Tensor& logits, const at::Tensor& targets, int64_t ignore_index) {
  TORCH_CHECK(logits.dim() >= 1 && logits.size(-1) > 0, kOp, ": logits must be [..., classes], got ",
              logits.sizes());
  const int64_t classes = logits.size(-1);
  TORCH_CHECK(targets.numel() * classes == logits.numel(), kOp, ": targets ", targets.sizes(),
              " do not match logits ", logits.sizes());
  TORCH_CHECK(!at::isFloatingType(targets.scalar_type()), kOp, ": targets must be integer class ids, got ",
              targets.scalar_type());
  detail::kernel_dtype(logits, kOp, "logits");
  return CrossEntropyFunction::apply(logits.reshape({-1, classes}).contiguous(),
                                     targets.to(logits.device(), at::kLong).reshape({-1}).contiguous(), ignore_index);
}

}  // namespace triage::kernels
