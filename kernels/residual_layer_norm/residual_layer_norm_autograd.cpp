// Bias + dropout + residual + LayerNorm autograd wrapper: CPU tensors run the fp32
// reference, CUDA tensors the kernel.
#include <torch/autograd.h>

#include "kernels/common/torch_util.h"
#include "kernels/residual_layer_norm/residual_layer_norm.h"
#include "kernels/residual_layer_norm/residual_layer_norm_impl.h"

namespace triage::kernels {
namespace {
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
constexpr const char* kOp = "residual_layer_norm";

struct ResidualLayerNormFunction : torch::autograd::Function<ResidualLayerNormFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& h, const at::Tensor& bias,
                            const at::Tensor& residual, const at::Tensor& gamma, const at::Tensor& beta, double eps,
                            double p) {
    const int64_t cols = h.size(-1), rows = h.numel() / cols;
    const uint64_t seed = p > 0 ? detail::dropout_seed() : 0;
    at::Tensor y, z, mean, rstd;
    if (h.is_cuda()) {
#ifdef TRIAGE_WITH_CUDA
      TORCH_CHECK(cols <= kMaxLayerNormCols, kOp, ": hidden size ", cols, " exceeds the CUDA kernel's ",
                  kMaxLayerNormCols);
      detail::DeviceGuard guard(h);
      y = at::empty_like(h);
      z = at::empty_like(h);
      mean = at::empty({rows}, h.options().dtype(at::kFloat));
      rstd = at::empty({rows}, h.options().dtype(at::kFloat));
      gpu::residual_layer_norm_forward(detail::kernel_dtype(h, kOp, "h"), h.data_ptr(), bias.data_ptr(),
                                       residual.data_ptr(), gamma.data_ptr(), beta.data_ptr(), static_cast<float>(eps),
                                       static_cast<float>(p), seed, rows, cols, y.data_ptr(), z.data_ptr(),
                                       mean.data_ptr<float>(), rstd.data_ptr<float>(), detail::stream_of(h));
#else
      detail::no_cuda(kOp);
#endif
    } else {
      auto hf = detail::f32(h), bf = detail::f32(bias), rf = detail::f32(residual), gf = detail::f32(gamma),
           btf = detail::f32(beta);
      y = at::empty_like(hf);
      z = at::empty_like(hf);
      mean = at::empty({rows}, hf.options());
      rstd = at::empty({rows}, hf.options());
      ref::residual_layer_norm_forward(hf.data_ptr<float>(), bf.data_ptr<float>(), rf.data_ptr<float>(),
                                       gf.data_ptr<float>(), btf.data_ptr<float>(), static_cast<float>(eps),
                                       static_cast<float>(p), seed, rows, cols, y.data_ptr<float>(),
                                       z.data_ptr<float>(), mean.data_ptr<float>(), rstd.data_ptr<float>());
      y = y.to(h.scalar_type());
      z = z.to(h.scalar_type());
    }
    ctx->save_for_backward({z, mean, rstd, gamma});
    ctx->saved_data["p"] = p;
    ctx->saved_data["seed"] = static_cast<int64_t>(seed);
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &z = saved[0], &mean = saved[1], &rstd = saved[2], &gamma = saved[3];
    const double p = ctx->saved_data["p"].toDouble();
    const auto seed = static_cast<uint64_t>(ctx->saved_data["seed"].toInt());
    const auto dy = grads[0].to(z.scalar_type()).contiguous();
    const int64_t cols = z.size(-1), rows = z.numel() / cols;
    at::Tensor dz, dh, dparams;
    if (z.is_cuda()) {
#ifdef TRIAGE_WITH_CUDA
      detail::DeviceGuard guard(z);
      dz = at::empty_like(z);
      dh = at::empty_like(z);
      dparams = at::empty({3, cols}, z.options());
      auto partial = at::empty({row_groups(rows), 3 * cols}, z.options().dtype(at::kFloat));
      gpu::residual_layer_norm_backward(detail::kernel_dtype(z, kOp, "z"), dy.data_ptr(), z.data_ptr(),
                                        mean.data_ptr<float>(), rstd.data_ptr<float>(), gamma.data_ptr(),
                                        static_cast<float>(p), seed, rows, cols, dz.data_ptr(), dh.data_ptr(),
                                        dparams.data_ptr(), partial.data_ptr<float>(), detail::stream_of(z));
#else
      detail::no_cuda(kOp);
#endif
    } else {
      auto dyf = detail::f32(dy), zf = detail::f32(z), gf = detail::f32(gamma);
      dz = at::empty_like(zf);
      dh = at::empty_like(zf);
      dparams = at::empty({3, cols}, zf.options());
      ref::residual_layer_norm_backward(dyf.data_ptr<float>(), zf.data_ptr<float>(), mean.data_ptr<float>(),
                                        rstd.data_ptr<float>(), gf.data_ptr<float>(), static_cast<float>(p), seed,
                                        rows, cols, dz.data_ptr<float>(), dh.data_ptr<float>(),
                                        dparams.data_ptr<float>());
      dz = dz.to(z.scalar_type());
      dh = dh.to(z.scalar_type());
      dparams = dparams.to(z.scalar_type());
    }
    // h, bias, residual, gamma, beta, eps, p
    return {dh, dparams[2], dz, dparams[0], dparams[1], at::Tensor(), at::Tensor()};
  }
};
}  // namespace

at::Tensor residual_layer_norm(const at::Tensor& h, const at::Tensor& bias, const at::Tensor& residual,
                               const at::Tensor& gamma, const at::Tensor& beta, double eps, double dropout_p) {
  TORCH_CHECK(h.dim() >= 1 && h.size(-1) > 0, kOp, ": h must have a non-empty last dimension, got ", h.sizes());
  TORCH_CHECK(residual.sizes() == h.sizes(), kOp, ": residual ", residual.sizes(), " does not match h ", h.sizes());
  const int64_t cols = h.size(-1);
  for (const auto* t : {&bias, &gamma, &beta})
    TORCH_CHECK(t->dim() == 1 && t->size(0) == cols, kOp, ": bias, gamma and beta must be [", cols, "], got ",
                t->sizes());
  for (const auto* t : {&bias, &residual, &gamma, &beta})
    TORCH_CHECK(t->device() == h.device(), kOp, ": all tensors must be on h's device ", h.device(), ", found ",
                t->device());
  TORCH_CHECK(dropout_p >= 0 && dropout_p < 1, kOp, ": dropout_p must be in [0, 1), got ", dropout_p);
  detail::kernel_dtype(h, kOp, "h");
  const auto dt = h.scalar_type();
  return ResidualLayerNormFunction::apply(h.contiguous(), bias.to(dt).contiguous(), residual.to(dt).contiguous(),
                                          gamma.to(dt).contiguous(), beta.to(dt).contiguous(), eps, dropout_p);
}

}  // namespace triage::kernels
