#include "model/unpadded.h"

#include <torch/torch.h>

#include "core/error.h"

namespace triage::model {

Unpadded Unpadded::to(const c10::Device& device) const {
  Unpadded o = *this;
  for (auto* t : {&o.input_ids, &o.position_ids, &o.token_type_ids, &o.cu_seqlens, &o.padded_index, &o.first_token,
                  &o.key_mask})
    if (t->defined()) *t = t->to(device, /*non_blocking=*/true);
  return o;
}

Unpadded unpad_batch(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                     const torch::Tensor& token_type_ids) {
  if (input_ids.dim() != 2 || !input_ids.device().is_cpu())
    throw InputError("unpad_batch: input_ids must be a [rows, seq] CPU tensor");
  Unpadded u;
  u.rows = input_ids.size(0);
  const int64_t seq = input_ids.size(1);
  std::vector<int64_t> lengths(static_cast<size_t>(u.rows), seq);
  if (attention_mask.defined()) {
    if (attention_mask.sizes() != input_ids.sizes() || !attention_mask.device().is_cpu())
      throw InputError("unpad_batch: attention_mask must be a CPU tensor shaped as input_ids");
    const auto m = attention_mask.to(torch::kLong).contiguous();
    const int64_t* p = m.data_ptr<int64_t>();
    for (int64_t r = 0; r < u.rows; ++r) {
      int64_t n = 0;
      while (n < seq && p[r * seq + n] != 0) ++n;
      for (int64_t j = n; j < seq; ++j)
        if (p[r * seq + j] != 0)
          throw InputError("unpad_batch: row " + std::to_string(r) + " has a token after its padding (position " +
                           std::to_string(j) + "); rows must be padded at the end");
      lengths[static_cast<size_t>(r)] = n;
    }
  }
  for (int64_t n : lengths) {
    u.max_len = std::max(u.max_len, n);
    u.tokens += n;
  }
  std::vector<int64_t> cu(static_cast<size_t>(u.rows) + 1, 0), src, pos, first;
  src.reserve(static_cast<size_t>(u.tokens));
  pos.reserve(static_cast<size_t>(u.tokens));
  std::vector<int64_t> padded;
  padded.reserve(static_cast<size_t>(u.tokens));
  auto key = torch::zeros({u.rows, u.max_len}, torch::kBool);
  auto* kp = key.data_ptr<bool>();
  for (int64_t r = 0; r < u.rows; ++r) {
    const int64_t n = lengths[static_cast<size_t>(r)];
    cu[static_cast<size_t>(r) + 1] = cu[static_cast<size_t>(r)] + n;
    first.push_back(cu[static_cast<size_t>(r)]);
    for (int64_t j = 0; j < n; ++j) {
      src.push_back(r * seq + j);
      pos.push_back(j);
      padded.push_back(r * u.max_len + j);
      kp[r * u.max_len + j] = true;
    }
  }
  auto as_tensor = [](const std::vector<int64_t>& v) {
    return torch::tensor(torch::ArrayRef<int64_t>(v), torch::kLong);
  };
  const auto src_t = as_tensor(src);
  u.input_ids = input_ids.reshape({-1}).index_select(0, src_t).to(torch::kLong);
  if (token_type_ids.defined()) u.token_type_ids = token_type_ids.reshape({-1}).index_select(0, src_t).to(torch::kLong);
  u.position_ids = as_tensor(pos);
  u.cu_seqlens = as_tensor(cu);
  u.padded_index = as_tensor(padded);
  u.first_token = as_tensor(first);
  u.key_mask = key;
  return u;
}

torch::Tensor pad_tokens(const torch::Tensor& x, const Unpadded& u) {
  std::vector<int64_t> flat{u.rows * u.max_len}, shaped{u.rows, u.max_len};
  for (int64_t d = 1; d < x.dim(); ++d) {
    flat.push_back(x.size(d));
    shaped.push_back(x.size(d));
  }
  return torch::zeros(flat, x.options()).index_copy(0, u.padded_index, x).view(shaped);
}

torch::Tensor unpad_tokens(const torch::Tensor& x, const Unpadded& u) {
  std::vector<int64_t> flat{u.rows * u.max_len};
  for (int64_t d = 2; d < x.dim(); ++d) flat.push_back(x.size(d));
  return x.reshape(flat).index_select(0, u.padded_index);
}

torch::Tensor varlen_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const Unpadded& u, int64_t heads, double dropout_p) {
  const int64_t width = q.size(-1), head_dim = width / heads;
  auto split = [&](const torch::Tensor& t) {  // [tokens, h] -> [rows, heads, max_len, d]
    return pad_tokens(t, u).view({u.rows, u.max_len, heads, head_dim}).transpose(1, 2);
  };
  // every query attends to the real keys of its row
  const auto mask = u.key_mask.unsqueeze(1).unsqueeze(2);
  auto ctx = at::scaled_dot_product_attention(split(q), split(k), split(v), mask, dropout_p);
  return unpad_tokens(ctx.transpose(1, 2).reshape({u.rows, u.max_len, width}), u);
}

}  // namespace triage::model
