// Bias + GELU autograd wrapper: CPU tensors run the fp32 reference, CUDA tensors the kernel.
#include <torch/autograd.h>

#include "kernels/bias_gelu/bias_gelu.h"
#include "kernels/bias_gelu/bias_gelu_impl.h"
#include "kernels/common/torch_util.h"

namespace triage::kernels {
namespace {
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
constexpr const char* kOp = "bias_gelu";

// x [rows, cols] contiguous, bias [cols] of x's dtype.
at::Tensor forward_impl(const at::Tensor& x, const at::Tensor& bias) {
  const int64_t cols = bias.numel(), rows = cols ? x.numel() / cols : 0;
  if (x.is_cuda()) {
#ifdef TRIAGE_WITH_CUDA
    detail::DeviceGuard guard(x);
    auto y = at::empty_like(x);
    gpu::bias_gelu_forward(detail::kernel_dtype(x, kOp, "x"), x.data_ptr(), bias.data_ptr(), y.data_ptr(), rows,
                           cols, detail::stream_of(x));
    return y;
#else
    detail::no_cuda(kOp);
#endif
  }
  auto xf = detail::f32(x), bf = detail::f32(bias);
  auto y = at::empty_like(xf);
  ref::bias_gelu_forward(xf.data_ptr<float>(), bf.data_ptr<float>(), y.data_ptr<float>(), rows, cols);
  return y.to(x.scalar_type());
}

std::pair<at::Tensor, at::Tensor> backward_impl(const at::Tensor& dy, const at::Tensor& x, const at::Tensor& bias) {
  const int64_t cols = bias.numel(), rows = cols ? x.numel() / cols : 0;
  if (x.is_cuda()) {
#ifdef TRIAGE_WITH_CUDA
    detail::DeviceGuard guard(x);
    auto dx = at::empty_like(x);
    auto db = at::empty_like(bias);
    auto partial = at::empty({row_groups(rows), cols}, x.options().dtype(at::kFloat));
    gpu::bias_gelu_backward(detail::kernel_dtype(x, kOp, "x"), dy.data_ptr(), x.data_ptr(), bias.data_ptr(),
                            dx.data_ptr(), db.data_ptr(), partial.data_ptr<float>(), rows, cols,
                            detail::stream_of(x));
    return {dx, db};
#else
    detail::no_cuda(kOp);
#endif
  }
  auto dyf = detail::f32(dy), xf = detail::f32(x), bf = detail::f32(bias);
  auto dx = at::empty_like(xf), db = at::empty_like(bf);
  ref::bias_gelu_backward(dyf.data_ptr<float>(), xf.data_ptr<float>(), bf.data_ptr<float>(), dx.data_ptr<float>(),
                          db.data_ptr<float>(), rows, cols);
  return {dx.to(x.scalar_type()), db.to(bias.scalar_type())};
}

struct BiasGeluFunction : torch::autograd::Function<BiasGeluFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& bias) {
    ctx->save_for_backward({x, bias});
    return forward_impl(x, bias);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    auto [dx, db] = backward_impl(grads[0].contiguous(), saved[0], saved[1]);
    return {dx, db};
  }
};
}  // namespace

at::Tensor bias_gelu(const at::Tensor& x, const at::Tensor& bias) {
  TORCH_CHECK(x.dim() >= 1 && bias.dim() == 1 && bias.size(0) == x.size(-1), kOp, ": bias ", bias.sizes(),
              " does not match the last dimension of x ", x.sizes());
  TORCH_CHECK(bias.device() == x.device(), kOp, ": bias is on ", bias.device(), ", x on ", x.device());
  detail::kernel_dtype(x, kOp, "x");
  return BiasGeluFunction::apply(x.contiguous(), bias.to(x.scalar_type()).contiguous());
}

}  // namespace triage::kernels
