// Fused embeddings autograd wrapper: CPU tensors run the fp32 reference, CUDA tensors the kernel.
#include <stdexcept>

#include <torch/autograd.h>

#include "kernels/common/torch_util.h"
#include "kernels/embeddings/embeddings.h"
#include "kernels/embeddings/embeddings_impl.h"

namespace triage::kernels {
namespace {
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
constexpr const char* kOp = "embeddings_layer_norm";

EmbeddingTables tables(const at::Tensor& ids, const at::Tensor& pos_ids, const at::Tensor& type_ids,
                       const at::Tensor& word, const at::Tensor& pos, const at::Tensor& type) {
  EmbeddingTables t{};
  t.ids = ids.data_ptr<int64_t>();
  t.pos_ids = pos_ids.data_ptr<int64_t>();
  t.word = word.data_ptr();
  t.pos = pos.data_ptr();
  t.vocab = word.size(0);
  t.max_pos = pos.size(0);
  if (type.numel() > 0) {
    t.type_ids = type_ids.data_ptr<int64_t>();
    t.type = type.data_ptr();
    t.types = type.size(0);
  }
  return t;
}

struct EmbeddingsFunction : torch::autograd::Function<EmbeddingsFunction> {
  // ids are [rows] int64 contiguous; tables share word's dtype. Without a token-type table,
  // type_ids and type are empty tensors (autograd::Function takes no undefined inputs).
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& ids, const at::Tensor& pos_ids,
                            const at::Tensor& type_ids, const at::Tensor& word, const at::Tensor& pos,
                            const at::Tensor& type, const at::Tensor& gamma, const at::Tensor& beta, double eps,
                            double p) {
    const int64_t rows = ids.numel(), cols = word.size(1);
    const uint64_t seed = p > 0 ? detail::dropout_seed() : 0;
    at::Tensor y, mean, rstd;
    if (word.is_cuda()) {
#ifdef TRIAGE_WITH_CUDA
      TORCH_CHECK(cols <= kMaxLayerNormCols, kOp, ": hidden size ", cols, " exceeds the CUDA kernel's ",
                  kMaxLayerNormCols);
      detail::DeviceGuard guard(word);
      y = at::empty({rows, cols}, word.options());
      mean = at::empty({rows}, word.options().dtype(at::kFloat));
      rstd = at::empty({rows}, word.options().dtype(at::kFloat));
      gpu::embeddings_forward(detail::kernel_dtype(word, kOp, "word"), tables(ids, pos_ids, type_ids, word, pos, type),
                              gamma.data_ptr(), beta.data_ptr(), static_cast<float>(eps), static_cast<float>(p), seed,
                              rows, cols, y.data_ptr(), mean.data_ptr<float>(), rstd.data_ptr<float>(),
                              detail::stream_of(word));
#else
      detail::no_cuda(kOp);
#endif
    } else {
      auto wf = detail::f32(word), pf = detail::f32(pos), tf = detail::f32(type);
      auto gf = detail::f32(gamma), bf = detail::f32(beta);
      y = at::empty({rows, cols}, wf.options());
      mean = at::empty({rows}, wf.options());
      rstd = at::empty({rows}, wf.options());
      try {
        ref::embeddings_forward(tables(ids, pos_ids, type_ids, wf, pf, tf), gf.data_ptr<float>(), bf.data_ptr<float>(),
                                static_cast<float>(eps), static_cast<float>(p), seed, rows, cols, y.data_ptr<float>(),
                                mean.data_ptr<float>(), rstd.data_ptr<float>());
      } catch (const std::out_of_range& e) {
        TORCH_CHECK_INDEX(false, e.what());
      }
      y = y.to(word.scalar_type());
    }
    ctx->save_for_backward({ids, pos_ids, type_ids, word, pos, type, gamma, mean, rstd});
    ctx->saved_data["p"] = p;
    ctx->saved_data["seed"] = static_cast<int64_t>(seed);
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto s = ctx->get_saved_variables();
    const auto &ids = s[0], &pos_ids = s[1], &type_ids = s[2], &word = s[3], &pos = s[4], &type = s[5],
               &gamma = s[6], &mean = s[7], &rstd = s[8];
    const double p = ctx->saved_data["p"].toDouble();
    const auto seed = static_cast<uint64_t>(ctx->saved_data["seed"].toInt());
    const int64_t rows = ids.numel(), cols = word.size(1);
    const auto dy = grads[0].to(word.scalar_type()).contiguous();
    const auto f32 = word.options().dtype(at::kFloat);
    auto dword = at::zeros(word.sizes(), f32), dpos = at::zeros(pos.sizes(), f32);
    const bool has_type = type.numel() > 0;
    auto dtype = has_type ? at::zeros(type.sizes(), f32) : at::Tensor();
    at::Tensor dparams;
    if (word.is_cuda()) {
#ifdef TRIAGE_WITH_CUDA
      detail::DeviceGuard guard(word);
      dparams = at::empty({2, cols}, word.options());
      auto partial = at::empty({row_groups(rows), 2 * cols}, f32);
      gpu::embeddings_backward(detail::kernel_dtype(word, kOp, "word"), tables(ids, pos_ids, type_ids, word, pos, type),
                               dy.data_ptr(), gamma.data_ptr(), mean.data_ptr<float>(), rstd.data_ptr<float>(),
                               static_cast<float>(p), seed, rows, cols, dword.data_ptr<float>(),
                               dpos.data_ptr<float>(), dtype.defined() ? dtype.data_ptr<float>() : nullptr,
                               dparams.data_ptr(), partial.data_ptr<float>(), detail::stream_of(word));
#else
      detail::no_cuda(kOp);
#endif
    } else {
      auto wf = detail::f32(word), pf = detail::f32(pos), tf = detail::f32(type);
      auto dyf = detail::f32(dy), gf = detail::f32(gamma);
      dparams = at::empty({2, cols}, wf.options());
      ref::embeddings_backward(tables(ids, pos_ids, type_ids, wf, pf, tf), dyf.data_ptr<float>(), gf.data_ptr<float>(),
                               mean.data_ptr<float>(), rstd.data_ptr<float>(), static_cast<float>(p), seed, rows,
                               cols, dword.data_ptr<float>(), dpos.data_ptr<float>(),
                               dtype.defined() ? dtype.data_ptr<float>() : nullptr, dparams.data_ptr<float>());
      dparams = dparams.to(word.scalar_type());
    }
    const auto dt = word.scalar_type();
    return {at::Tensor(), at::Tensor(), at::Tensor(), dword.to(dt), dpos.to(dt),
            has_type ? dtype.to(dt) : at::Tensor(), dparams[0], dparams[1], at::Tensor(), at::Tensor()};
  }
};
}  // namespace

at::Tensor embeddings_layer_norm(const at::Tensor& input_ids, const at::Tensor& position_ids,
                                 const at::Tensor& token_type_ids, const at::Tensor& word, const at::Tensor& position,
                                 const at::Tensor& token_type, const at::Tensor& gamma, const at::Tensor& beta,
                                 double eps, double dropout_p) {
  TORCH_CHECK(word.dim() == 2 && word.size(1) > 0, kOp, ": word must be [vocab, hidden], got ", word.sizes());
  const int64_t cols = word.size(1);
  TORCH_CHECK(position.dim() == 2 && position.size(1) == cols, kOp, ": position must be [max_pos, ", cols, "], got ",
              position.sizes());
  TORCH_CHECK(!token_type.defined() || (token_type.dim() == 2 && token_type.size(1) == cols), kOp,
              ": token_type must be [types, ", cols, "], got ", token_type.sizes());
  TORCH_CHECK(gamma.numel() == cols && beta.numel() == cols, kOp, ": gamma and beta must be [", cols, "]");
  TORCH_CHECK(position_ids.sizes() == input_ids.sizes(), kOp, ": position_ids ", position_ids.sizes(),
              " does not match input_ids ", input_ids.sizes());
  TORCH_CHECK(!token_type.defined() || token_type_ids.sizes() == input_ids.sizes(), kOp, ": token_type_ids ",
              token_type_ids.sizes(), " does not match input_ids ", input_ids.sizes());
  for (const auto* t : {&position, &token_type, &gamma, &beta})
    TORCH_CHECK(!t->defined() || t->device() == word.device(), kOp, ": tables, gamma and beta must be on word's device ",
                word.device(), ", found ", t->device());
  TORCH_CHECK(dropout_p >= 0 && dropout_p < 1, kOp, ": dropout_p must be in [0, 1), got ", dropout_p);
  detail::kernel_dtype(word, kOp, "word");
  const auto dt = word.scalar_type();
  auto flat = [&](const at::Tensor& ids) { return ids.to(word.device(), at::kLong).reshape({-1}).contiguous(); };
  const auto none = at::empty({0}, word.options());
  auto types = token_type.defined() ? flat(token_type_ids) : none.to(at::kLong);
  auto y = EmbeddingsFunction::apply(flat(input_ids), flat(position_ids), types, word.contiguous(),
                                     position.to(dt).contiguous(), token_type.defined() ? token_type.to(dt).contiguous() : none,
                                     gamma.to(dt).reshape({cols}).contiguous(), beta.to(dt).reshape({cols}).contiguous(),
                                     eps, dropout_p);
  auto shape = input_ids.sizes().vec();
  shape.push_back(cols);
  return y.view(shape);
}

}  // namespace triage::kernels
