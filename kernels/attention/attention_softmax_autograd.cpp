// Attention softmax autograd wrapper: CPU tensors run the fp32 reference, CUDA tensors the kernel.
#include <torch/autograd.h>

#include "kernels/attention/attention_softmax.h"
#include "kernels/attention/attention_softmax_impl.h"
#include "kernels/common/torch_util.h"

namespace triage::kernels {
namespace {
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
constexpr const char* kOp = "attention_softmax";

AttentionShape shape_of(const at::Tensor& scores) {
  return {scores.numel() / scores.size(3), scores.size(1) * scores.size(2), scores.size(3)};
}

struct AttentionSoftmaxFunction : torch::autograd::Function<AttentionSoftmaxFunction> {
  // scores contiguous [B, heads, Sq, Sk]; mask [B, Sk] uint8 contiguous on the same device.
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& scores, const at::Tensor& mask, double scale,
                            double p) {
    const auto s = shape_of(scores);
    const uint64_t seed = p > 0 ? detail::dropout_seed() : 0;
    at::Tensor y, out;
    if (scores.is_cuda()) {
#ifdef TRIAGE_WITH_CUDA
      TORCH_CHECK(s.keys <= kMaxAttentionKeys, kOp, ": ", s.keys, " keys exceed the CUDA kernel's ",
                  kMaxAttentionKeys);
      detail::DeviceGuard guard(scores);
      y = at::empty_like(scores);
      out = p > 0 ? at::empty_like(scores) : y;
      gpu::attention_softmax_forward(detail::kernel_dtype(scores, kOp, "scores"), scores.data_ptr(),
                                     mask.data_ptr<uint8_t>(), static_cast<float>(scale), static_cast<float>(p), seed,
                                     s, y.data_ptr(), out.data_ptr(), detail::stream_of(scores));
#else
      detail::no_cuda(kOp);
#endif
    } else {
      auto sf = detail::f32(scores);
      y = at::empty_like(sf);
      out = p > 0 ? at::empty_like(sf) : y;
      ref::attention_softmax_forward(sf.data_ptr<float>(), mask.data_ptr<uint8_t>(), static_cast<float>(scale),
                                     static_cast<float>(p), seed, s, y.data_ptr<float>(), out.data_ptr<float>());
      const bool same = out.is_same(y);
      y = y.to(scores.scalar_type());
      out = same ? y : out.to(scores.scalar_type());
    }
    ctx->save_for_backward({y});
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["p"] = p;
    ctx->saved_data["seed"] = static_cast<int64_t>(seed);
    return out;  // y itself when p == 0 (saving an output is supported)
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto y = ctx->get_saved_variables()[0];
    const double scale = ctx->saved_data["scale"].toDouble(), p = ctx->saved_data["p"].toDouble();
    const auto seed = static_cast<uint64_t>(ctx->saved_data["seed"].toInt());
    const auto dout = grads[0].to(y.scalar_type()).contiguous();
    const auto s = shape_of(y);
    at::Tensor ds;
    if (y.is_cuda()) {
#ifdef TRIAGE_WITH_CUDA
      detail::DeviceGuard guard(y);
      ds = at::empty_like(y);
      gpu::attention_softmax_backward(detail::kernel_dtype(y, kOp, "probs"), dout.data_ptr(), y.data_ptr(),
                                      static_cast<float>(scale), static_cast<float>(p), seed, s, ds.data_ptr(),
                                      detail::stream_of(y));
#else
      detail::no_cuda(kOp);
#endif
    } else {
      auto df = detail::f32(dout), yf = detail::f32(y);
      ds = at::empty_like(yf);
      ref::attention_softmax_backward(df.data_ptr<float>(), yf.data_ptr<float>(), static_cast<float>(scale),
                                      static_cast<float>(p), seed, s, ds.data_ptr<float>());
      ds = ds.to(y.scalar_type());
    }
    return {ds, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};
}  // namespace

at::Tensor attention_softmax(const at::Tensor& scores, const at::Tensor& key_mask, double scale, double dropout_p) {
  TORCH_CHECK(scores.dim() == 4, kOp, ": scores must be [batch, heads, queries, keys], got ", scores.sizes());
  TORCH_CHECK(key_mask.dim() == 2 && key_mask.size(0) == scores.size(0) && key_mask.size(1) == scores.size(3), kOp,
              ": key_mask must be [", scores.size(0), ", ", scores.size(3), "], got ", key_mask.sizes());
  TORCH_CHECK(key_mask.device() == scores.device(), kOp, ": key_mask is on ", key_mask.device(), ", scores on ",
              scores.device());
  TORCH_CHECK(dropout_p >= 0 && dropout_p < 1, kOp, ": dropout_p must be in [0, 1), got ", dropout_p);
  detail::kernel_dtype(scores, kOp, "scores");
  auto mask = key_mask.ne(0).to(at::kByte).contiguous();
  return AttentionSoftmaxFunction::apply(scores.contiguous(), mask, scale, dropout_p);
}

}  // namespace triage::kernels
