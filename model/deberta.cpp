// DeBERTa-v2 encoder: transformers' DebertaV2Model, op for op (see deberta.h).
#include "model/deberta.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "model/packed_cpu.h"

namespace triage::model {
namespace nn = torch::nn;

namespace {
nn::LayerNorm layer_norm(int64_t width, double eps) { return nn::LayerNorm(nn::LayerNormOptions({width}).eps(eps)); }
}  // namespace

torch::Tensor deberta_relative_positions(int64_t seq, int64_t buckets, int64_t max_position,
                                         const torch::Device& device) {
  auto ids = torch::arange(seq, torch::TensorOptions().dtype(torch::kLong).device(device));
  return deberta_log_bucket(ids.unsqueeze(1) - ids.unsqueeze(0), buckets, max_position);  // [q, k] = q - k
}

torch::Tensor deberta_log_bucket(const torch::Tensor& rel, int64_t buckets, int64_t max_position) {
  if (buckets <= 0 || max_position <= 0) return rel;
  const auto device = rel.device();
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
  if (embed_proj) x = linear(embed_proj, x);
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
                                                     const DebertaRelative& rel, const torch::Tensor& pos_key,
                                                     const torch::Tensor& pos_query) {
  const auto b = x.size(0), s = x.size(1);
  auto split = [&](const torch::Tensor& t) {  // [b, s, hidden] -> [b, heads, s, d]
    return t.view({t.size(0), t.size(1), heads, head_dim}).transpose(1, 2);
  };
  auto q = split(linear(query_proj, x)), k = split(linear(key_proj, x)), v = split(linear(value_proj, x));
  const bool relative = options.relative_attention && rel.c2p_index.defined();
  const int64_t factor = 1 + (relative && options.c2p ? 1 : 0) + (relative && options.p2c ? 1 : 0);
  // transformers scales in float32: sqrt(float(d) * factor)
  const double scale = std::sqrt(static_cast<double>(static_cast<float>(head_dim) * static_cast<float>(factor)));
  auto scores = torch::matmul(q, k.transpose(-1, -2) / scale);  // [b, heads, s, s]
  if (relative) {
    // the window's rows of the table [w, hidden] -> [1, heads, w, d], shared by the batch
    torch::Tensor table;
    auto project = [&](const torch::Tensor& pre, bool key) {
      if (pre.defined()) return pre.slice(2, rel.first, rel.first + rel.rows);
      if (!table.defined()) table = pos_dropout(rel.window).unsqueeze(0);
      return project_positions(table, key);
    };
    if (options.c2p) {
      // query i against the embedding of distance i - j
      auto c2p = torch::matmul(q, project(pos_key, true).transpose(-1, -2));  // [b, heads, s, w]
      scores = scores + torch::gather(c2p, -1, rel.c2p_index.expand({b, heads, s, s})) / scale;
    }
    if (options.p2c) {
      // key j against the embedding of distance i - j, gathered per key then transposed
      auto p2c = torch::matmul(k, project(pos_query, false).transpose(-1, -2));
      scores = scores + torch::gather(p2c, -1, rel.p2c_index.expand({b, heads, s, s})).transpose(-1, -2) / scale;
    }
  }
  if (mask.defined()) scores = scores.masked_fill(mask.logical_not(), lowest_score(scores.scalar_type()));
  auto probs = dropout(torch::softmax(scores, -1));
  return torch::matmul(probs, v).transpose(1, 2).reshape({b, s, heads * head_dim});
}

torch::Tensor DisentangledSelfAttentionImpl::project_positions(const torch::Tensor& table, bool key) {
  auto& proj = key ? (options.share_att_key ? key_proj : pos_key_proj)
                   : (options.share_att_key ? query_proj : pos_query_proj);
  auto t = linear(proj, table);
  return t.view({t.size(0), t.size(1), heads, head_dim}).transpose(1, 2);
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

torch::Tensor DebertaLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& mask, const DebertaRelative& rel,
                                        const torch::Tensor& pos_key, const torch::Tensor& pos_query) {
  auto h = attention->output(attention->self(x, mask, rel, pos_key, pos_query), x);
  return output(activation(linear(intermediate->dense, h), act), h);
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

DebertaRelative DebertaBackboneImpl::relative(int64_t seq, const torch::Device& device, bool with_table) {
  const auto& d = config.deberta;
  DebertaRelative r;
  const int64_t span = d.att_span(config.max_position_embeddings), max_rel = d.max_relative(config.max_position_embeddings);
  // Distances reach +-reach (the bucket of seq - 1: buckets grow with the distance and are odd
  // in it), so c2p and p2c read only the table's rows span - reach .. span + reach (clamped):
  // the products run over those, not all 2 span rows, with the same values gathered.
  const int64_t reach = deberta_log_bucket(torch::full({1}, seq - 1, torch::kLong), d.position_buckets, max_rel)
                            .item<int64_t>();
  r.first = std::clamp<int64_t>(span - reach, 0, 2 * span - 1);
  const int64_t last = std::clamp<int64_t>(span + reach, 0, 2 * span - 1);
  r.rows = last + 1 - r.first;
  if (with_table) {
    auto table = rel_embeddings->weight;
    if (rel_norm) table = rel_norm(table);
    r.window = table.slice(0, r.first, last + 1);
  }
  auto rel_pos = deberta_relative_positions(seq, d.position_buckets, max_rel, device);
  r.c2p_index = torch::clamp(rel_pos + span, 0, 2 * span - 1) - r.first;
  r.p2c_index = torch::clamp(-rel_pos + span, 0, 2 * span - 1) - r.first;
  return r;
}

torch::Tensor DebertaBackboneImpl::forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                                           const torch::Tensor& token_type_ids) {
  PackedLinearScope scope(packed.get(), *this, input_ids);
  auto x = embeddings(input_ids, token_type_ids, attention_mask);
  torch::Tensor mask;  // [b, 1, s, s]: query and key both tokens
  if (attention_mask.defined()) {
    auto m = attention_mask.ne(0);
    mask = (m.unsqueeze(1).unsqueeze(2) & m.unsqueeze(1).unsqueeze(3));
  }
  const bool pre = scope.active() && !packed_pos_key.empty();  // the projected tables of pack_for_cpu()
  DebertaRelative rel;
  if (config.deberta.relative_attention) rel = relative(input_ids.size(1), input_ids.device(), !pre);
  const auto input = x;
  for (size_t i = 0; i < layers.size(); ++i) {
    x = pre ? layers[i]->forward(x, mask, rel, packed_pos_key[i], packed_pos_query[i])
            : layers[i]->forward(x, mask, rel, torch::Tensor(), torch::Tensor());
    if (i == 0 && conv) x = conv(input, x, attention_mask);
  }
  return x;
}

bool DebertaBackboneImpl::pack_for_cpu(std::string* why, c10::ScalarType dtype) {
  drop_cpu_packing();
  std::vector<nn::Linear> linears{embeddings->embed_proj};
  std::vector<torch::Tensor> also;
  for (auto& l : layers) {
    auto& sa = l->attention->self;
    for (auto* lin : {&sa->query_proj, &sa->key_proj, &sa->value_proj, &l->attention->output->dense,
                      &l->intermediate->dense, &l->output->dense})
      linears.push_back(*lin);
    for (auto* lin : {&sa->pos_key_proj, &sa->pos_query_proj})
      if (!lin->is_empty()) also.insert(also.end(), {(*lin)->weight, (*lin)->bias});
  }
  if (rel_embeddings) also.push_back(rel_embeddings->weight);
  if (rel_norm) also.insert(also.end(), {rel_norm->weight, rel_norm->bias});
  auto p = PackedLinears::build(linears, also, dtype, why);
  if (!p) return false;
  if (config.deberta.relative_attention) {
    // Each layer's projections of the whole relative table, once: in inference they depend on
    // the weights only (transformers recomputes them on every call, 2 span x hidden x hidden
    // per projection and layer).
    torch::NoGradGuard no_grad;
    auto table = rel_embeddings->weight;
    if (rel_norm) table = rel_norm(table);
    table = table.unsqueeze(0);
    for (auto& l : layers) {
      auto& sa = l->attention->self;
      packed_pos_key.push_back(sa->options.c2p ? sa->project_positions(table, true).contiguous() : torch::Tensor());
      packed_pos_query.push_back(sa->options.p2c ? sa->project_positions(table, false).contiguous() : torch::Tensor());
    }
  }
  packed = std::move(p);
  return true;
}

void DebertaBackboneImpl::drop_cpu_packing() {
  packed.reset();
  packed_pos_key.clear();
  packed_pos_query.clear();
}

}  // namespace triage::model
