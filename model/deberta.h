// DeBERTa-v2 encoder (model_type deberta-v2, which DeBERTa-v3 checkpoints use), as
// transformers' DebertaV2Model: BERT-shaped post-LayerNorm layers whose attention adds
// disentangled relative-position terms (content-to-position "c2p" and position-to-content
// "p2c", pos_att_type) over a table of relative embeddings (optionally LayerNorm-ed,
// norm_rel_ebd), relative distances optionally log-bucketed (position_buckets,
// max_relative_positions), position projections shared with the content ones or not
// (share_att_key), absolute positions optional (position_biased_input), the optional
// convolution beside the first layer (conv_kernel_size) and an embeddings projection
// (embedding_size != hidden_size). Tensor names are transformers' ("deberta.encoder.layer.0.
// attention.self.query_proj.weight", "deberta.encoder.rel_embeddings.weight").
// Composite torch ops on every device (no fused kernels); CPU inference may take the linear
// products prepacked and the relative table pre-projected (pack_for_cpu).
#pragma once

#include <torch/nn/modules/conv.h>

#include "model/encoder.h"
#include "model/packed_cpu.h"

namespace triage::model {

// word (+ absolute position) (+ token type) embeddings, projection to hidden_size, LayerNorm,
// padding zeroed, dropout.
struct DebertaEmbeddingsImpl : torch::nn::Module {
  explicit DebertaEmbeddingsImpl(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& token_type_ids,
                        const torch::Tensor& attention_mask);
  torch::nn::Embedding word_embeddings{nullptr}, position_embeddings{nullptr}, token_type_embeddings{nullptr};
  torch::nn::Linear embed_proj{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(DebertaEmbeddings);

// The relative-position inputs of one forward, shared by the layers: the rows first ..
// first + rows - 1 of the (normalised) relative table that a sequence of this length reads,
// and, per query and key, the index of its distance's row among them for c2p and for p2c.
struct DebertaRelative {
  torch::Tensor window;                // [rows, hidden]; undefined when the layers get projected tables
  torch::Tensor c2p_index, p2c_index;  // [s, s] int64 in [0, rows); undefined: no relative attention
  int64_t first = 0, rows = 0;
};

struct DisentangledSelfAttentionImpl : torch::nn::Module {
  explicit DisentangledSelfAttentionImpl(const ModelConfig& c);
  // x [b, s, hidden]; mask [b, 1, s, s] bool (query and key both tokens) or undefined;
  // pos_key / pos_query: the whole relative table through this layer's position key / query
  // projection [1, heads, 2 span, d] (the packed path precomputes them), or undefined to
  // project rel.window here.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask, const DebertaRelative& rel,
                        const torch::Tensor& pos_key, const torch::Tensor& pos_query);
  // table [1, rows, hidden] through the position key (key) or query projection (the content
  // ones under share_att_key): [1, heads, rows, d].
  torch::Tensor project_positions(const torch::Tensor& table, bool key);
  torch::nn::Linear query_proj{nullptr}, key_proj{nullptr}, value_proj{nullptr};
  torch::nn::Linear pos_key_proj{nullptr}, pos_query_proj{nullptr};  // c2p / p2c without share_att_key
  torch::nn::Dropout pos_dropout{nullptr}, dropout{nullptr};
  DebertaOptions options;
  int64_t heads, head_dim, span;
};
TORCH_MODULE(DisentangledSelfAttention);

struct DebertaAttentionImpl : torch::nn::Module {
  explicit DebertaAttentionImpl(const ModelConfig& c);
  DisentangledSelfAttention self{nullptr};
  ResidualOutput output{nullptr};
};
TORCH_MODULE(DebertaAttention);

struct DebertaLayerImpl : torch::nn::Module {
  explicit DebertaLayerImpl(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask, const DebertaRelative& rel,
                        const torch::Tensor& pos_key, const torch::Tensor& pos_query);
  DebertaAttention attention{nullptr};
  Intermediate intermediate{nullptr};
  ResidualOutput output{nullptr};
  std::string act;
};
TORCH_MODULE(DebertaLayer);

// conv over the embeddings, added to the first layer's output, LayerNorm, padding zeroed.
struct DebertaConvImpl : torch::nn::Module {
  explicit DebertaConvImpl(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& embeddings, const torch::Tensor& residual,
                        const torch::Tensor& attention_mask);
  torch::nn::Conv1d conv{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
  torch::nn::Dropout dropout{nullptr};
  std::string act;
};
TORCH_MODULE(DebertaConv);

struct DebertaBackboneImpl : EncoderBase {
  explicit DebertaBackboneImpl(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                        const torch::Tensor& token_type_ids) override;
  // Packs the linear layers (PackedLinears, fp32) and projects the relative table through
  // every layer's position projections once.
  bool pack_for_cpu(std::string* why, c10::ScalarType dtype) override;
  void drop_cpu_packing() override;
  bool cpu_packed() const override { return packed != nullptr; }
  // The relative inputs for a sequence of `seq` (with_table: also the table's rows).
  DebertaRelative relative(int64_t seq, const torch::Device& device, bool with_table);
  DebertaEmbeddings embeddings{nullptr};
  std::shared_ptr<torch::nn::Module> encoder;  // "layer", "rel_embeddings", "LayerNorm", "conv"
  torch::nn::ModuleList layer{nullptr};
  std::vector<DebertaLayer> layers;
  torch::nn::Embedding rel_embeddings{nullptr};  // relative_attention
  torch::nn::LayerNorm rel_norm{nullptr};        // norm_rel_ebd layer_norm
  DebertaConv conv{nullptr};                     // conv_kernel_size > 0
  ModelConfig config;
  std::shared_ptr<PackedLinears> packed;
  std::vector<torch::Tensor> packed_pos_key, packed_pos_query;  // per layer, [1, heads, 2 span, d] or undefined
};

// Relative distances query - key for a sequence of `seq`, log-bucketed as transformers'
// make_log_bucket_position where buckets > 0 and max_position > 0: [seq, seq] int64.
torch::Tensor deberta_relative_positions(int64_t seq, int64_t buckets, int64_t max_position,
                                         const torch::Device& device);
// make_log_bucket_position of the int64 distances `rel` (unchanged without buckets).
torch::Tensor deberta_log_bucket(const torch::Tensor& rel, int64_t buckets, int64_t max_position);

}  // namespace triage::model
