// ModernBERT encoder (model_type modernbert), as transformers' ModernBertModel: token
// embeddings + norm; pre-norm layers (the first without its attention norm) of rotary
// attention through one fused QKV projection - global layers with global_rope_theta over the
// whole sequence, local ones with local_rope_theta inside a window of |query - key| <=
// local_attention / 2 (layer_types, or every global_attn_every_n_layers-th layer global) -
// and a GeGLU MLP (Wi gives input and gate); a final norm. LayerNorms and linear layers carry
// biases only where the config says (norm_bias, attention_bias, mlp_bias, classifier_bias).
// ModernBertForTokenClassification's head (dense + activation + norm) is ModernBertHead.
// Tensor names are transformers' ("model.layers.1.attn.Wqkv.weight", "head.dense.weight").
// Composite torch ops on every device (no fused kernels); CPU inference may take the layers'
// linear products prepacked (PackedLinears in packed_cpu.h), the rest unchanged.
#pragma once

#include <ATen/core/Generator.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>

#include "model/config.h"
#include "model/encoder_base.h"

namespace triage::model {

class PackedLinears;

// LayerNorm whose bias is optional ("weight", and "bias" only when `bias`).
struct NormImpl : torch::nn::Module {
  NormImpl(int64_t width, double eps, bool bias);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;
  int64_t width;
  double eps;
};
TORCH_MODULE(Norm);

// ModernBertPredictionHead: norm(act(dense(x))), between the encoder and the classifier.
struct ModernBertHeadImpl : torch::nn::Module {
  explicit ModernBertHeadImpl(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& x);
  // Fresh as transformers would leave a checkpoint without it: dense normal(0, 0.02), zero
  // bias, unit norm.
  void init(at::Generator& gen);
  torch::nn::Linear dense{nullptr};
  Norm norm{nullptr};
  std::string act;
};
TORCH_MODULE(ModernBertHead);

struct ModernBertEmbeddingsImpl : torch::nn::Module {
  explicit ModernBertEmbeddingsImpl(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& input_ids);
  torch::nn::Embedding tok_embeddings{nullptr};
  Norm norm{nullptr};
  torch::nn::Dropout drop{nullptr};
};
TORCH_MODULE(ModernBertEmbeddings);

// A boolean attention mask and its additive form for SDPA: 0 where a query attends, the
// scores dtype's lowest (finite, as transformers' eager path) elsewhere. Built on first use in
// the dtype the scores take (the autocast dtype under autocast) and shared by every layer of
// one forward that uses this mask.
struct AdditiveMask {
  torch::Tensor keep;  // [b or 1, 1, s or 1, s] bool, true = attend; undefined = no mask
  std::optional<torch::Tensor> bias_for(const torch::Tensor& scores_like);

 private:
  torch::Tensor bias_;
};

struct ModernBertAttentionImpl : torch::nn::Module {
  explicit ModernBertAttentionImpl(const ModelConfig& c);
  // x [b, s, hidden]; cos, sin [1, 1, s, head_dim]; mask.keep [b or 1, 1, s, s] (true =
  // attend) or undefined (everything attends everything).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        AdditiveMask& mask);
  torch::nn::Linear Wqkv{nullptr}, Wo{nullptr};
  torch::nn::Dropout out_drop{nullptr};
  int64_t heads, head_dim;
  double attn_dropout;
};
TORCH_MODULE(ModernBertAttention);

struct ModernBertMlpImpl : torch::nn::Module {
  explicit ModernBertMlpImpl(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& x);  // Wo(drop(act(input) * gate)), [input, gate] = Wi(x)
  torch::nn::Linear Wi{nullptr}, Wo{nullptr};
  torch::nn::Dropout drop{nullptr};
  std::string act;
};
TORCH_MODULE(ModernBertMlp);

struct ModernBertLayerImpl : torch::nn::Module {
  ModernBertLayerImpl(const ModelConfig& c, int64_t index);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        AdditiveMask& mask);
  Norm attn_norm{nullptr};  // null in the first layer (transformers' Identity)
  ModernBertAttention attn{nullptr};
  Norm mlp_norm{nullptr};
  ModernBertMlp mlp{nullptr};
  bool global;
};
TORCH_MODULE(ModernBertLayer);

struct ModernBertBackboneImpl : EncoderBase {
  explicit ModernBertBackboneImpl(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                        const torch::Tensor& token_type_ids) override;  // token types: none, ignored
  // Packs every layer's four linear layers (PackedLinears, fp32).
  bool pack_for_cpu(std::string* why, c10::ScalarType dtype) override;
  void drop_cpu_packing() override { packed.reset(); }
  bool cpu_packed() const override { return packed != nullptr; }
  ModernBertEmbeddings embeddings{nullptr};
  torch::nn::ModuleList layer_list{nullptr};  // "layers"
  std::vector<ModernBertLayer> layers;
  Norm final_norm{nullptr};
  ModelConfig config;
  std::shared_ptr<PackedLinears> packed;
};

// Rotary cos and sin [1, 1, seq, head_dim] for positions 0..seq-1 with base `theta`, as
// transformers' default rope (float32).
std::pair<torch::Tensor, torch::Tensor> rotary_cos_sin(int64_t seq, int64_t head_dim, double theta,
                                                       const torch::Device& device);

}  // namespace triage::model
