// ModernBERT encoder: transformers' ModernBertModel, op for op but for attention, which runs on
// SDPA (see modernbert.h).
#include "model/modernbert.h"

#include <torch/torch.h>

#include "model/packed_cpu.h"

namespace triage::model {
namespace nn = torch::nn;

NormImpl::NormImpl(int64_t w, double e, bool with_bias) : width(w), eps(e) {
  weight = register_parameter("weight", torch::ones({w}));
  if (with_bias) bias = register_parameter("bias", torch::zeros({w}));
}

torch::Tensor NormImpl::forward(const torch::Tensor& x) {
  return torch::layer_norm(x, {width}, weight, bias.defined() ? std::optional<torch::Tensor>(bias) : std::nullopt, eps);
}

ModernBertHeadImpl::ModernBertHeadImpl(const ModelConfig& c) : act(c.modernbert.classifier_activation) {
  dense = register_module(
      "dense", nn::Linear(nn::LinearOptions(c.hidden_size, c.hidden_size).bias(c.modernbert.classifier_bias)));
  norm = register_module("norm", Norm(c.hidden_size, c.layer_norm_eps, c.modernbert.norm_bias));
}

torch::Tensor ModernBertHeadImpl::forward(const torch::Tensor& x) { return norm(activation(dense(x), act)); }

void ModernBertHeadImpl::init(at::Generator& gen) {
  torch::NoGradGuard no_grad;
  dense->weight.normal_(0.0, 0.02, gen);
  if (dense->bias.defined()) dense->bias.zero_();
  norm->weight.fill_(1.0);
  if (norm->bias.defined()) norm->bias.zero_();
}

ModernBertEmbeddingsImpl::ModernBertEmbeddingsImpl(const ModelConfig& c) {
  tok_embeddings = register_module("tok_embeddings", nn::Embedding(nn::EmbeddingOptions(c.vocab_size, c.hidden_size)));
  norm = register_module("norm", Norm(c.hidden_size, c.layer_norm_eps, c.modernbert.norm_bias));
  drop = register_module("drop", nn::Dropout(c.modernbert.embedding_dropout));
}

torch::Tensor ModernBertEmbeddingsImpl::forward(const torch::Tensor& input_ids) {
  return drop(norm(tok_embeddings(input_ids)));
}

std::pair<torch::Tensor, torch::Tensor> rotary_cos_sin(int64_t seq, int64_t head_dim, double theta,
                                                       const torch::Device& device) {
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat).device(device);
  auto inv_freq = 1.0 / torch::pow(theta, torch::arange(0, head_dim, 2, f32) / static_cast<double>(head_dim));
  auto freqs = torch::arange(seq, f32).unsqueeze(1) * inv_freq.unsqueeze(0);  // [s, d/2]
  auto emb = torch::cat({freqs, freqs}, -1);                                    // [s, d]
  return {emb.cos().unsqueeze(0).unsqueeze(0), emb.sin().unsqueeze(0).unsqueeze(0)};
}

namespace {
torch::Tensor rotate_half(const torch::Tensor& x) {
  const auto half = x.size(-1) / 2;
  return torch::cat({-x.slice(-1, half), x.slice(-1, 0, half)}, -1);
}
}  // namespace

ModernBertAttentionImpl::ModernBertAttentionImpl(const ModelConfig& c)
    : heads(c.num_attention_heads), head_dim(c.head_dim()), attn_dropout(c.attention_probs_dropout_prob) {
  const bool bias = c.modernbert.attention_bias;
  Wqkv = register_module("Wqkv", nn::Linear(nn::LinearOptions(c.hidden_size, 3 * c.hidden_size).bias(bias)));
  Wo = register_module("Wo", nn::Linear(nn::LinearOptions(c.hidden_size, c.hidden_size).bias(bias)));
  out_drop = register_module("out_drop", nn::Dropout(attn_dropout));
}

std::optional<torch::Tensor> AdditiveMask::bias_for(const torch::Tensor& like) {
  if (!keep.defined()) return std::nullopt;
  if (!bias_.defined() || bias_.scalar_type() != like.scalar_type() || bias_.device() != like.device())
    bias_ = torch::zeros(keep.sizes(), like.options()).masked_fill_(keep.logical_not(), lowest_score(like.scalar_type()));
  return bias_;
}

torch::Tensor ModernBertAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos,
                                               const torch::Tensor& sin, AdditiveMask& mask) {
  const auto b = x.size(0), s = x.size(1);
  auto qkv = linear(Wqkv, x).view({b, s, 3, heads, head_dim});
  auto q = qkv.select(2, 0).transpose(1, 2), k = qkv.select(2, 1).transpose(1, 2);  // [b, heads, s, d]
  auto v = qkv.select(2, 2).transpose(1, 2);
  const auto dtype = q.scalar_type();
  q = (q.to(torch::kFloat) * cos + rotate_half(q.to(torch::kFloat)) * sin).to(dtype);
  k = (k.to(torch::kFloat) * cos + rotate_half(k.to(torch::kFloat)) * sin).to(dtype);
  const double p = is_training() ? attn_dropout : 0.0;
  // One attention kernel with and without padding, so that a message alone and in a padded
  // batch compute alike. The mask is additive and finite (the dtype's lowest, as
  // transformers' eager path): a padded query whose window holds no token has its whole row
  // masked, which a boolean mask turns into NaN and this into a finite uniform row.
  auto ctx = at::scaled_dot_product_attention(q, k, v, mask.bias_for(q), p);
  return out_drop(linear(Wo, ctx.transpose(1, 2).reshape({b, s, heads * head_dim})));
}

ModernBertMlpImpl::ModernBertMlpImpl(const ModelConfig& c) : act(c.hidden_act) {
  const bool bias = c.modernbert.mlp_bias;
  Wi = register_module("Wi", nn::Linear(nn::LinearOptions(c.hidden_size, 2 * c.intermediate_size).bias(bias)));
  drop = register_module("drop", nn::Dropout(c.modernbert.mlp_dropout));
  Wo = register_module("Wo", nn::Linear(nn::LinearOptions(c.intermediate_size, c.hidden_size).bias(bias)));
}

torch::Tensor ModernBertMlpImpl::forward(const torch::Tensor& x) {
  auto parts = linear(Wi, x).chunk(2, -1);
  return linear(Wo, drop(activation(parts[0], act) * parts[1]));
}

ModernBertLayerImpl::ModernBertLayerImpl(const ModelConfig& c, int64_t index)
    : global(c.modernbert.layer_is_global.at(static_cast<size_t>(index))) {
  if (index > 0) attn_norm = register_module("attn_norm", Norm(c.hidden_size, c.layer_norm_eps, c.modernbert.norm_bias));
  attn = register_module("attn", ModernBertAttention(c));
  mlp_norm = register_module("mlp_norm", Norm(c.hidden_size, c.layer_norm_eps, c.modernbert.norm_bias));
  mlp = register_module("mlp", ModernBertMlp(c));
}

torch::Tensor ModernBertLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                           AdditiveMask& mask) {
  auto h = x + attn(attn_norm ? attn_norm(x) : x, cos, sin, mask);
  return h + mlp(mlp_norm(h));
}

ModernBertBackboneImpl::ModernBertBackboneImpl(const ModelConfig& c) : config(c) {
  embeddings = register_module("embeddings", ModernBertEmbeddings(c));
  layer_list = register_module("layers", nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    layers.push_back(ModernBertLayer(c, i));
    layer_list->push_back(layers.back());
  }
  final_norm = register_module("final_norm", Norm(c.hidden_size, c.layer_norm_eps, c.modernbert.norm_bias));
}

torch::Tensor ModernBertBackboneImpl::forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                                              const torch::Tensor&) {
  const auto s = input_ids.size(1);
  const auto dev = input_ids.device();
  PackedLinearScope scope(packed.get(), *this, input_ids);
  auto x = embeddings(input_ids);
  const auto& m = config.modernbert;
  // global layers: every query sees the tokens; local ones only those within half the window
  AdditiveMask global_mask, local_mask;
  if (attention_mask.defined()) global_mask.keep = attention_mask.ne(0).unsqueeze(1).unsqueeze(2);  // [b, 1, 1, s]
  const int64_t half = m.local_attention / 2;
  if (s > half + 1) {  // else the window covers the sequence and local = global
    auto pos = torch::arange(s, torch::TensorOptions().dtype(torch::kLong).device(dev));
    auto window = (pos.unsqueeze(1) - pos.unsqueeze(0)).abs().le(half).unsqueeze(0).unsqueeze(0);  // [1, 1, s, s]
    local_mask.keep = global_mask.keep.defined() ? (window & global_mask.keep) : window;
  } else {
    local_mask.keep = global_mask.keep;
  }
  const auto head_dim = config.head_dim();
  auto [gcos, gsin] = rotary_cos_sin(s, head_dim, m.global_rope_theta, dev);
  auto [lcos, lsin] = rotary_cos_sin(s, head_dim, m.local_rope_theta, dev);
  for (auto& l : layers)
    x = l->global ? l(x, gcos, gsin, global_mask) : l(x, lcos, lsin, local_mask);
  return final_norm(x);
}

bool ModernBertBackboneImpl::pack_for_cpu(std::string* why, c10::ScalarType dtype) {
  std::vector<nn::Linear> linears;
  for (auto& l : layers)
    for (auto* lin : {&l->attn->Wqkv, &l->attn->Wo, &l->mlp->Wi, &l->mlp->Wo}) linears.push_back(*lin);
  packed = PackedLinears::build(linears, {}, dtype, why);
  return packed != nullptr;
}

}  // namespace triage::model
