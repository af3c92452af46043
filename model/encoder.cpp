// Encoder forward pass (BERT's post-LayerNorm layers): composite torch ops, or triage's fused kernels.
#include "model/encoder.h"

#include <cmath>

#include <torch/torch.h>

#include "core/error.h"
#include "kernels/kernels.h"
#include "model/deberta.h"
#include "model/packed_cpu.h"

namespace triage::model {
namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {
nn::LayerNorm layer_norm(int64_t hidden, double eps) {
  return nn::LayerNorm(nn::LayerNormOptions({hidden}).eps(eps));
}

}  // namespace

double lowest_score(c10::ScalarType t) {
  if (t == torch::kBFloat16) return -3.3895313892515355e38;
  if (t == torch::kHalf) return -65504.0;
  if (t == torch::kDouble) return std::numeric_limits<double>::lowest();
  return std::numeric_limits<float>::lowest();
}

torch::Tensor activation(const torch::Tensor& x, const std::string& act) {
  if (act == "gelu") return torch::gelu(x);
  if (act == "relu") return torch::relu(x);
  if (act == "silu") return torch::silu(x);
  if (act == "tanh") return torch::tanh(x);
  return torch::gelu(x, "tanh");  // gelu_new, gelu_pytorch_tanh
}

torch::Tensor roberta_position_ids(const torch::Tensor& input_ids, int64_t padding_idx) {
  auto mask = input_ids.ne(padding_idx).to(torch::kLong);
  return torch::cumsum(mask, 1) * mask + padding_idx;
}

EmbeddingsImpl::EmbeddingsImpl(const ModelConfig& c) {
  const int64_t width = c.embedding_size > 0 ? c.embedding_size : c.hidden_size;
  word_embeddings = register_module(
      "word_embeddings", nn::Embedding(nn::EmbeddingOptions(c.vocab_size, width)));
  position_embeddings = register_module(
      "position_embeddings",
      nn::Embedding(nn::EmbeddingOptions(c.max_position_embeddings, width)));
  if (c.type_vocab_size > 0)
    token_type_embeddings = register_module(
        "token_type_embeddings",
        nn::Embedding(nn::EmbeddingOptions(c.type_vocab_size, width)));
  LayerNorm = register_module("LayerNorm", layer_norm(width, c.layer_norm_eps));
  dropout = register_module("dropout", nn::Dropout(c.hidden_dropout_prob));
}

torch::Tensor EmbeddingsImpl::forward(const torch::Tensor& input_ids, const torch::Tensor& position_ids,
                                      const torch::Tensor& token_type_ids) {
  auto x = word_embeddings(input_ids) + position_embeddings(position_ids);  // [b, s, h]
  if (token_type_embeddings) x = x + token_type_embeddings(token_type_ids);
  return dropout(LayerNorm(x));
}

torch::Tensor EmbeddingsImpl::forward_fused(const torch::Tensor& input_ids, const torch::Tensor& position_ids,
                                            const torch::Tensor& token_type_ids) {
  return kernels::embeddings_layer_norm(
      input_ids, position_ids, token_type_ids, word_embeddings->weight, position_embeddings->weight,
      token_type_embeddings ? token_type_embeddings->weight : torch::Tensor(), LayerNorm->weight, LayerNorm->bias,
      LayerNorm->options.eps(), is_training() ? dropout->options.p() : 0.0);
}

SelfAttentionImpl::SelfAttentionImpl(const ModelConfig& c) {
  query = register_module("query", nn::Linear(c.hidden_size, c.hidden_size));
  key = register_module("key", nn::Linear(c.hidden_size, c.hidden_size));
  value = register_module("value", nn::Linear(c.hidden_size, c.hidden_size));
}

ResidualOutputImpl::ResidualOutputImpl(int64_t in, int64_t out, double eps, double p) {
  dense = register_module("dense", nn::Linear(in, out));
  LayerNorm = register_module("LayerNorm", layer_norm(out, eps));
  dropout = register_module("dropout", nn::Dropout(p));
}

torch::Tensor ResidualOutputImpl::forward(const torch::Tensor& x, const torch::Tensor& residual) {
  return LayerNorm(dropout(linear(dense, x)) + residual);  // linear(): packed in DeBERTa's packed path
}

AttentionImpl::AttentionImpl(const ModelConfig& c) {
  self = register_module("self", SelfAttention(c));
  output = register_module("output", ResidualOutput(c.hidden_size, c.hidden_size,
                                                    c.layer_norm_eps, c.hidden_dropout_prob));
}

IntermediateImpl::IntermediateImpl(const ModelConfig& c) {
  dense = register_module("dense", nn::Linear(c.hidden_size, c.intermediate_size));
}

LayerImpl::LayerImpl(const ModelConfig& c)
    : heads(c.num_attention_heads),
      head_dim(c.head_dim()),
      attn_dropout(c.attention_probs_dropout_prob),
      act(c.hidden_act) {
  attention = register_module("attention", Attention(c));
  intermediate = register_module("intermediate", Intermediate(c));
  output = register_module("output", ResidualOutput(c.intermediate_size, c.hidden_size,
                                                    c.layer_norm_eps, c.hidden_dropout_prob));
}

torch::Tensor LayerImpl::forward(const torch::Tensor& x, const torch::Tensor& attn_mask) {
  const auto b = x.size(0), s = x.size(1);
  auto split = [&](const torch::Tensor& t) {  // [b, s, h] -> [b, heads, s, d]
    return t.view({b, s, heads, head_dim}).transpose(1, 2);
  };
  auto& sa = attention->self;
  auto q = split(sa->query(x)), k = split(sa->key(x)), v = split(sa->value(x));
  const std::optional<torch::Tensor> mask = attn_mask.defined() ? std::optional<torch::Tensor>(attn_mask) : std::nullopt;
  auto ctx = at::scaled_dot_product_attention(q, k, v, mask, is_training() ? attn_dropout : 0.0);
  ctx = ctx.transpose(1, 2).reshape({b, s, heads * head_dim});  // [b, s, h]
  auto h = attention->output(ctx, x);
  auto inter = activation(intermediate->dense(h), act);  // [b, s, intermediate]
  return output(inter, h);
}

torch::Tensor LayerImpl::forward_fused(const torch::Tensor& x, const torch::Tensor& key_mask) {
  const auto b = x.size(0), s = x.size(1);
  auto split = [&](const torch::Tensor& t) {  // [b, s, h] -> [b, heads, s, d]
    return t.view({b, s, heads, head_dim}).transpose(1, 2);
  };
  // dense without its bias, then bias + dropout + residual + LayerNorm in one kernel
  auto residual_out = [&](ResidualOutput& o, const torch::Tensor& in, const torch::Tensor& residual) {
    return kernels::residual_layer_norm(F::linear(in, o->dense->weight), o->dense->bias, residual, o->LayerNorm->weight,
                                        o->LayerNorm->bias, o->LayerNorm->options.eps(),
                                        is_training() ? o->dropout->options.p() : 0.0);
  };
  auto& sa = attention->self;
  auto q = split(sa->query(x)), k = split(sa->key(x)), v = split(sa->value(x));
  auto scores = torch::matmul(q, k.transpose(-2, -1));  // [b, heads, s, s]
  auto probs = kernels::attention_softmax(scores, key_mask, 1.0 / std::sqrt(static_cast<double>(head_dim)),
                                          is_training() ? attn_dropout : 0.0);
  auto ctx = torch::matmul(probs, v).transpose(1, 2).reshape({b, s, heads * head_dim});  // [b, s, h]
  auto h = residual_out(attention->output, ctx, x);
  auto& dense = intermediate->dense;
  auto inter = act == "gelu" ? kernels::bias_gelu(F::linear(h, dense->weight), dense->bias)
                             : activation(dense(h), act);  // [b, s, intermediate]
  return residual_out(output, inter, h);
}

torch::Tensor LayerImpl::forward_unpadded(const torch::Tensor& x, const Unpadded& u) {
  auto& sa = attention->self;
  auto ctx = varlen_attention(sa->query(x), sa->key(x), sa->value(x), u, heads, is_training() ? attn_dropout : 0.0);
  auto h = attention->output(ctx, x);
  auto inter = activation(intermediate->dense(h), act);  // [tokens, intermediate]
  return output(inter, h);
}

torch::Tensor EncoderBase::forward_unpadded(const Unpadded& u) {
  const auto types = u.token_type_ids.defined() ? pad_tokens(u.token_type_ids, u) : torch::Tensor();
  return unpad_tokens(forward(pad_tokens(u.input_ids, u), u.key_mask.to(torch::kLong), types), u);
}

BackboneImpl::BackboneImpl(const ModelConfig& c) : config(c) {
  embeddings = register_module("embeddings", Embeddings(c));
  if (c.embedding_size > 0 && c.embedding_size != c.hidden_size)
    embeddings_project = register_module("embeddings_project", nn::Linear(c.embedding_size, c.hidden_size));
  encoder = register_module("encoder", std::make_shared<torch::nn::Module>("Encoder"));
  layer = encoder->register_module("layer", nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    layers.push_back(Layer(c));
    layer->push_back(layers.back());
  }
}

torch::Tensor BackboneImpl::forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                                    const torch::Tensor& token_type_ids) {
  torch::Tensor position_ids;
  if (config.roberta_positions()) {
    position_ids = roberta_position_ids(input_ids, config.pad_token_id);
  } else {
    position_ids = torch::arange(input_ids.size(1), input_ids.options()).unsqueeze(0).expand_as(input_ids);
  }
  const auto project = [&](torch::Tensor x) { return embeddings_project ? embeddings_project(x) : x; };
  auto types = token_type_ids.defined() ? token_type_ids : torch::zeros_like(input_ids);
  if (kernels::use_fused(kernel_mode, input_ids.is_cuda())) {
    auto x = project(embeddings->forward_fused(input_ids, position_ids, types));
    auto key_mask = attention_mask.defined() ? attention_mask.ne(0) : torch::ones_like(input_ids, torch::kBool);  // [b, s]
    for (auto& l : layers) x = l->forward_fused(x, key_mask);
    return x;
  }
  auto x = project(embeddings(input_ids, position_ids, types));
  // [b, 1, 1, s]: every query attends to the non-padding keys of its row. No mask (nothing
  // padded) lets SDPA take its fused kernels instead of the masked path.
  torch::Tensor mask;
  if (attention_mask.defined()) mask = attention_mask.to(torch::kBool).unsqueeze(1).unsqueeze(2);
  if (packed && !is_training() && !torch::GradMode::is_enabled() && x.device().is_cpu() && packed->current())
    return packed->forward(x, mask);
  for (auto& l : layers) x = l(x, mask);
  return x;
}

torch::Tensor BackboneImpl::forward_unpadded(const Unpadded& u) {
  // roberta counts positions from padding_idx + 1 (roberta_position_ids at real tokens)
  const auto positions = config.roberta_positions() ? u.position_ids + (config.pad_token_id + 1) : u.position_ids;
  const auto types = u.token_type_ids.defined() ? u.token_type_ids : torch::zeros_like(u.input_ids);
  auto x = embeddings(u.input_ids, positions, types);  // [tokens, width]
  if (embeddings_project) x = embeddings_project(x);
  for (auto& l : layers) x = l->forward_unpadded(x, u);
  return x;
}

TokenClassifierImpl::TokenClassifierImpl(ModelConfig config)
    : config_(std::move(config)), prefix_(config_.base_prefix()) {
  switch (config_.family) {
    case Family::DebertaV2: encoder = register_module(prefix_, std::make_shared<DebertaBackboneImpl>(config_)); break;
    case Family::ModernBert:
      encoder = register_module(prefix_, std::make_shared<ModernBertBackboneImpl>(config_));
      head = register_module("head", ModernBertHead(config_));
      break;
    default:
      backbone = Backbone(config_);
      encoder = register_module(prefix_, backbone.ptr());
  }
  const double p = config_.classifier_dropout >= 0 ? config_.classifier_dropout : config_.hidden_dropout_prob;
  dropout = register_module("dropout", nn::Dropout(p));
  const auto num_labels = std::max<int64_t>(1, static_cast<int64_t>(config_.labels.size()));
  classifier = register_module("classifier", nn::Linear(config_.hidden_size, num_labels));
  if (!config_.intent_labels.empty())
    intent_classifier = register_module(
        "intent_classifier",
        nn::Linear(config_.hidden_size, static_cast<int64_t>(config_.intent_labels.size())));
  if (config_.crf_head) crf = register_module("crf", Crf(num_labels));
}

EncoderOutput TokenClassifierImpl::forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                                           const torch::Tensor& token_type_ids) {
  EncoderOutput out;
  out.hidden = encoder->forward(input_ids, attention_mask, token_type_ids);
  auto h = dropout(head ? head->forward(out.hidden) : out.hidden);
  out.token_logits = classifier(h);
  if (has_intent_head()) out.intent_logits = intent_classifier(h.select(1, 0));
  return out;
}

EncoderOutput TokenClassifierImpl::forward_unpadded(const Unpadded& u) {
  EncoderOutput out;
  out.hidden = encoder->forward_unpadded(u);
  auto h = dropout(head ? head->forward(out.hidden) : out.hidden);
  out.token_logits = classifier(h);
  if (has_intent_head()) out.intent_logits = intent_classifier(h.index_select(0, u.first_token));
  return out;
}

torch::Tensor token_cross_entropy(kernels::KernelMode mode, const torch::Tensor& logits, const torch::Tensor& labels,
                                  int64_t ignore_index) {
  if (kernels::use_fused(mode, logits.is_cuda())) return kernels::token_cross_entropy(logits, labels, ignore_index);
  if (labels.ne(ignore_index).sum().item<int64_t>() == 0) return logits.sum().to(torch::kFloat) * 0.0;
  return F::cross_entropy(logits.reshape({-1, logits.size(-1)}).to(torch::kFloat), labels.reshape({-1}),
                          F::CrossEntropyFuncOptions().ignore_index(ignore_index));
}

torch::Tensor TokenClassifierImpl::token_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                                              int64_t ignore_index) const {
  return token_cross_entropy(kernels(), logits, labels, ignore_index);
}

bool BackboneImpl::pack_for_cpu(std::string* why, c10::ScalarType dtype) {
  packed = PackedCpuEncoder::build(*this, why, dtype);
  return packed != nullptr;
}

bool TokenClassifierImpl::pack_for_cpu_inference(std::string* why, c10::ScalarType dtype) {
  pack_failure_.clear();
  if (encoder->pack_for_cpu(&pack_failure_, dtype)) return true;
  if (why) *why = pack_failure_;
  return false;
}

bool TokenClassifierImpl::pack_for_cpu_precision(const std::string& precision, const std::string& key,
                                                 std::string* why) {
  std::string reason;
  if (pack_for_cpu_inference(&reason, cpu_precision(precision))) return true;
  if (precision != "fp32") throw InputError(key + ": " + precision + ": " + reason);
  if (why) *why = std::move(reason);
  return false;
}

std::string TokenClassifierImpl::cpu_compute_path() const {
  if (cpu_packed()) return "packed (oneDNN prepacked weights)";
  return pack_failure_.empty() ? "composite torch ops" : "composite torch ops (" + pack_failure_ + ")";
}

void TokenClassifierImpl::init_heads(uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto init = [&](nn::Linear& l) {
    if (l.is_empty()) return;
    l->weight.normal_(0.0, 0.02, gen);
    l->bias.zero_();
  };
  init(classifier);
  init(intent_classifier);
  if (head) head->init(gen);
  if (crf) crf->init(gen);
}

}  // namespace triage::model
