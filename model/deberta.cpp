// DeBERTa-v2 encoder: transformers' DebertaV2Model, op for op (see deberta.h).
#include "model/deberta.h"

#include <cmath>
#include <limits>

#include <torch/torch.h>

namespace triage::model {
namespace nn = torch::nn;

namespace {
// The value masked scores take: the dtype's lowest, as transformers' torch.finfo(dtype).min
// (finite, so a row with every key masked stays finite and padding never turns into NaN).
double lowest(c10::ScalarType t) {
  if (t == torch::kBFloat16) return -3.3895313892515355e38;
  if (t == torch::kHalf) return -65504.0;
  if (t == torch::kDouble) return std::numeric_limits<double>::lowest();
  return std::numeric_limits<float>::lowest();
}
nn::LayerNorm layer_norm(int64_t width, double eps) { return nn::LayerNorm(nn::LayerNormOptions({width}).eps(eps)); }
}  // namespace

torch::Tensor deberta_relative_positions(int64_t seq, int64_t buckets, int64_t max_position,
                                         const torch::Device& device) {
  auto ids = torch::arange(seq, torch::TensorOptions().dtype(torch::kLong).device(device));
  auto rel = ids.unsqueeze(1) - ids.unsqueeze(0);  // [q, k] = q - k
  if (buckets <= 0 || max_position <= 0) return rel;
  // make_log_bucket_position, in the same dtypes (float32) as transformers
  const int64_t mid = buckets / 2;
  auto sign = torch::sign(rel);
  auto abs_pos = torch::where(rel.lt(mid) & rel.gt(-mid), torch::full({}, mid - 1, rel.options()), torch::abs(rel));
  auto denom = torch::log(torch::tensor(static_cast<float>(static_cast<double>(max_position - 1) / mid),
                                        torch::TensorOptions().device(device)));
  auto log_pos = torch::ceil(torch::log(abs_pos / mid) / denom * (mid - 1)) + mid;
  return torch::where(abs_pos.le(mid), rel.to(log_pos.scalar_type()), log_pos * sign).to(torch::kLong);
}

DebertaEmbeddingsImpl::DebertaEmbeddingsImpl(const ModelConfig& c) {
  const int64_t width = c.embedding_size;
  word_embeddings = register_module("word_embeddings", nn::Embedding(nn::EmbeddingOptions(c.vocab_size, width)));
  if (c.deberta.position_biased_input)
    position_embeddings = register_module("position_embeddings",
                                          nn::Embedding(nn::EmbeddingOptions(c.max_position_embeddings, width)));
  if (c.type_vocab_size > 0)
    token_type_embeddings = register_module("token_type_embeddings",
                                            nn::Embedding(nn::EmbeddingOptions(c.type_vocab_size, width)));
  if (width != c.hidden_size)
    embed_proj = register_module("embed_proj", nn::Linear(nn::LinearOptions(width, c.hidden_size).bias(false)));
  LayerNorm = register_module("LayerNorm", layer_norm(c.hidden_size, c.layer_norm_eps));
  dropout = register_module("dropout", nn::Dropout(c.hidden_dropout_prob));
}

torch::Tensor DebertaEmbeddingsImpl::forward(const torch::Tensor& input_ids, const torch::Tensor& token_type_ids,
                                             const torch::Tensor& attention_mask) {
  auto x = word_embeddings(input_ids);  // [b, s, embedding_size]
  if (position_embeddings)
    x = x + position_embeddings(torch::arange(input_ids.size(1), input_ids.options()).unsqueeze(0));
  if (token_type_embeddings)
    x = x + token_type_embeddings(token_type_ids.defined() ? token_type_ids : torch::zeros_like(input_ids));
  if (embed_proj) x = embed_proj(x);
  x = LayerNorm(x);
  if (attention_mask.defined()) x = x * attention_mask.unsqueeze(2).to(x.scalar_type());
  return dropout(x);
}

DisentangledSelfAttentionImpl::DisentangledSelfAttentionImpl(const ModelConfig& c)
    : options(c.deberta),
      heads(c.num_attention_heads),
      head_dim(c.head_dim()),
      span(c.deberta.att_span(c.max_position_embeddings)) {
  const auto h = c.hidden_size;
  query_proj = register_module("query_proj", nn::Linear(h, h));
  key_proj = register_module("key_proj", nn::Linear(h, h));
  value_proj = register_module("value_proj", nn::Linear(h, h));
  if (options.relative_attention && !options.share_att_key) {
    if (options.c2p) pos_key_proj = register_module("pos_key_proj", nn::Linear(h, h));
    if (options.p2c) pos_query_proj = register_module("pos_query_proj", nn::Linear(h, h));
  }
  pos_dropout = register_module("pos_dropout", nn::Dropout(c.hidden_dropout_prob));
  dropout = register_module("dropout", nn::Dropout(c.attention_probs_dropout_prob));
}

torch::Tensor DisentangledSelfAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& mask,
                                                     const torch::Tensor& rel_embeddings, const torch::Tensor& rel_pos) {
  const auto b = x.size(0), s = x.size(1);
  auto split = [&](const torch::Tensor& t) {  // [b, s, hidden] -> [b, heads, s, d]
    return t.view({t.size(0), t.size(1), heads, head_dim}).transpose(1, 2);
  };
  auto q = split(query_proj(x)), k = split(key_proj(x)), v = split(value_proj(x));
  const bool relative = options.relative_attention && rel_embeddings.defined();
  const int64_t factor = 1 + (relative && options.c2p ? 1 : 0) + (relative && options.p2c ? 1 : 0);
  // transformers scales in float32: sqrt(float(d) * factor)
  const double scale = std::sqrt(static_cast<double>(static_cast<float>(head_dim) * static_cast<float>(factor)));
  auto scores = torch::matmul(q, k.transpose(-1, -2) / scale);  // [b, heads, s, s]
  if (relative) {
    // [2 span, hidden] -> [1, heads, 2 span, d], shared by the batch
    auto rel = pos_dropout(rel_embeddings.slice(0, 0, 2 * span)).unsqueeze(0);
    auto& pk = options.share_att_key ? key_proj : pos_key_proj;
    auto& pq = options.share_att_key ? query_proj : pos_query_proj;
    if (options.c2p) {
      // query i against the embedding of distance i - j
      auto c2p = torch::matmul(q, split(pk(rel)).transpose(-1, -2));  // [b, heads, s, 2 span]
      auto index = torch::clamp(rel_pos + span, 0, 2 * span - 1).expand({b, heads, s, s});
      scores = scores + torch::gather(c2p, -1, index) / scale;
    }
    if (options.p2c) {
      // key j against the embedding of distance i - j, gathered per key then transposed
      auto p2c = torch::matmul(k, split(pq(rel)).transpose(-1, -2));  // [b, heads, s, 2 span]
      auto index = torch::clamp(-rel_pos + span, 0, 2 * span - 1).expand({b, heads, s, s});
      scores = scores + torch::gather(p2c, -1, index).transpose(-1, -2) / scale;
    }
  }
  if (mask.defined()) scores = scores.masked_fill(mask.logical_not(), lowest(scores.scalar_type()));
  auto probs = dropout(torch::softmax(scores, -1));
  return torch::matmul(probs, v).transpose(1, 2).reshape({b, s, heads * head_dim});
}

DebertaAttentionImpl::DebertaAttentionImpl(const ModelConfig& c) {
  self = register_module("self", DisentangledSelfAttention(c));
  output = register_module("output", ResidualOutput(c.hidden_size, c.hidden_size, c.layer_norm_eps,
                                                    c.hidden_dropout_prob));
}

DebertaLayerImpl::DebertaLayerImpl(const ModelConfig& c) : act(c.hidden_act) {
  attention = register_module("attention", DebertaAttention(c));
  intermediate = register_module("intermediate", Intermediate(c));
  output = register_module("output", ResidualOutput(c.intermediate_size, c.hidden_size, c.layer_norm_eps,
                                                    c.hidden_dropout_prob));
}

torch::Tensor DebertaLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& mask,
                                        const torch::Tensor& rel_embeddings, const torch::Tensor& rel_pos) {
  auto h = attention->output(attention->self(x, mask, rel_embeddings, rel_pos), x);
  return output(activation(intermediate->dense(h), act), h);
}

DebertaConvImpl::DebertaConvImpl(const ModelConfig& c) : act(c.deberta.conv_act) {
  const int64_t k = c.deberta.conv_kernel_size;
  conv = register_module("conv", nn::Conv1d(nn::Conv1dOptions(c.hidden_size, c.hidden_size, k)
                                                .padding((k - 1) / 2)
                                                .groups(c.deberta.conv_groups)));
  LayerNorm = register_module("LayerNorm", layer_norm(c.hidden_size, c.layer_norm_eps));
  dropout = register_module("dropout", nn::Dropout(c.hidden_dropout_prob));
}

torch::Tensor DebertaConvImpl::forward(const torch::Tensor& embeddings, const torch::Tensor& residual,
                                       const torch::Tensor& attention_mask) {
  auto out = conv(embeddings.permute({0, 2, 1})).permute({0, 2, 1});  // [b, s, hidden]
  if (attention_mask.defined()) out = out.masked_fill(attention_mask.eq(0).unsqueeze(-1), 0.0);
  out = LayerNorm(residual + activation(dropout(out), act));
  if (attention_mask.defined()) out = out * attention_mask.unsqueeze(2).to(out.scalar_type());
  return out;
}

DebertaBackboneImpl::DebertaBackboneImpl(const ModelConfig& c) : config(c) {
  embeddings = register_module("embeddings", DebertaEmbeddings(c));
  encoder = register_module("encoder", std::make_shared<torch::nn::Module>("Encoder"));
  layer = encoder->register_module("layer", nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    layers.push_back(DebertaLayer(c));
    layer->push_back(layers.back());
  }
  const auto& d = c.deberta;
  if (d.relative_attention)
    rel_embeddings = encoder->register_module(
        "rel_embeddings", nn::Embedding(nn::EmbeddingOptions(2 * d.att_span(c.max_position_embeddings), c.hidden_size)));
  if (d.norm_rel_ebd) rel_norm = encoder->register_module("LayerNorm", layer_norm(c.hidden_size, c.layer_norm_eps));
  if (d.conv_kernel_size > 0) conv = encoder->register_module("conv", DebertaConv(c));
}

torch::Tensor DebertaBackboneImpl::forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                                           const torch::Tensor& token_type_ids) {
  auto x = embeddings(input_ids, token_type_ids, attention_mask);
  torch::Tensor mask;  // [b, 1, s, s]: query and key both tokens
  if (attention_mask.defined()) {
    auto m = attention_mask.ne(0);
    mask = (m.unsqueeze(1).unsqueeze(2) & m.unsqueeze(1).unsqueeze(3));
  }
  torch::Tensor rel, rel_pos;
  const auto& d = config.deberta;
  if (d.relative_attention) {
    rel = rel_embeddings->weight;
    if (rel_norm) rel = rel_norm(rel);
    rel_pos = deberta_relative_positions(input_ids.size(1), d.position_buckets,
                                         d.max_relative(config.max_position_embeddings), input_ids.device());
  }
  const auto input = x;
  for (size_t i = 0; i < layers.size(); ++i) {
    x = layers[i](x, mask, rel, rel_pos);
    if (i == 0 && conv) x = conv(input, x, attention_mask);
  }
  return x;
}

}  // namespace triage::model
