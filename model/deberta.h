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
// Composite torch ops on every device (no fused kernels, no prepacked CPU path).
#pragma once

#include <torch/nn/modules/conv.h>

#include "model/encoder.h"

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

struct DisentangledSelfAttentionImpl : torch::nn::Module {
  explicit DisentangledSelfAttentionImpl(const ModelConfig& c);
  // x [b, s, hidden]; mask [b, 1, s, s] bool (query and key both tokens) or undefined;
  // rel_embeddings [2 * span, hidden] or undefined; rel_pos [s, s] int64 relative distances.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask, const torch::Tensor& rel_embeddings,
                        const torch::Tensor& rel_pos);
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
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask, const torch::Tensor& rel_embeddings,
                        const torch::Tensor& rel_pos);
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
  DebertaEmbeddings embeddings{nullptr};
  std::shared_ptr<torch::nn::Module> encoder;  // "layer", "rel_embeddings", "LayerNorm", "conv"
  torch::nn::ModuleList layer{nullptr};
  std::vector<DebertaLayer> layers;
  torch::nn::Embedding rel_embeddings{nullptr};  // relative_attention
  torch::nn::LayerNorm rel_norm{nullptr};        // norm_rel_ebd layer_norm
  DebertaConv conv{nullptr};                     // conv_kernel_size > 0
  ModelConfig config;
};

// Relative distances query - key for a sequence of `seq`, log-bucketed as transformers'
// make_log_bucket_position where buckets > 0 and max_position > 0: [seq, seq] int64.
torch::Tensor deberta_relative_positions(int64_t seq, int64_t buckets, int64_t max_position,
                                         const torch::Device& device);

}  // namespace triage::model
