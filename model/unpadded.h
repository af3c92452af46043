// Batches without padding (issues 20 and 21): the rows' tokens one after another as one
// [tokens, hidden] tensor, with each row's offsets, so embeddings, projections, the MLP,
// LayerNorm, dropout, the heads and the loss run on real tokens only. Attention alone needs
// the rows apart: varlen_attention() scatters q, k and v into a [rows, max_len] layout, runs
// SDPA with a key mask and gathers the real tokens back (on the CPU faster than one SDPA per
// row: 1,714 against 1,154 tokens/s over 80 SNIPS steps); padding is read by no other op.
//
// Built on the host from a padded batch (data::collate pads after each row), so forming it
// costs no device sync; to() moves it to the model's device.
#pragma once

#include <cstdint>
#include <optional>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

namespace triage::model {

struct Unpadded {
  torch::Tensor input_ids;       // [tokens] int64
  torch::Tensor position_ids;    // [tokens] int64: each token's position in its row, from 0
  torch::Tensor token_type_ids;  // [tokens] int64, or undefined (zeros)
  torch::Tensor cu_seqlens;      // [rows + 1] int64: row r is tokens [cu[r], cu[r + 1])
  torch::Tensor padded_index;    // [tokens] int64: row * max_len + position
  torch::Tensor first_token;     // [rows] int64: each row's first token (CLS) in [tokens]
  torch::Tensor key_mask;        // [rows, max_len] bool, true on real tokens
  int64_t rows = 0, max_len = 0, tokens = 0;

  Unpadded to(const c10::Device& device) const;
};

// From a padded batch: input_ids [rows, seq] and attention_mask [rows, seq] (1 on a row's
// leading real tokens, 0 after; undefined: nothing padded), token_type_ids [rows, seq] or
// undefined. CPU tensors (InputError otherwise: the lengths are read on the host).
Unpadded unpad_batch(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                     const torch::Tensor& token_type_ids = {});

// [tokens, ...] -> [rows, max_len, ...] with zeros at padding, and back; both differentiable.
torch::Tensor pad_tokens(const torch::Tensor& x, const Unpadded& u);
torch::Tensor unpad_tokens(const torch::Tensor& x, const Unpadded& u);

// Multi-head attention over each row separately: q, k, v [tokens, heads * head_dim] -> the
// context [tokens, heads * head_dim]. dropout_p on the attention probabilities.
torch::Tensor varlen_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const Unpadded& u, int64_t heads, double dropout_p);

}  // namespace triage::model
