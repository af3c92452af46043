// Encoder of BERT's post-LayerNorm layers (bert, roberta, xlm-roberta, distilbert, electra),
// and the token classifier over any family's encoder (encoder_base.h: BERT's layers here,
// deberta.h, modernbert.h) with a token-classification head and an optional intent head on
// the first token (joint intent + slot, as JointBERT). Submodules are registered under
// transformers' names with the family's prefix ("electra.encoder.layer.0.attention.self.
// query.weight", "classifier.bias"); model/tensor_names.h maps BERT's layer names to the
// names DistilBERT's checkpoints use.
// Two implementations of the forward pass over the same parameters: composite torch ops, and
// triage's fused kernels (kernels/, issue 6) - chosen by set_kernels(), fused by default on
// CUDA. Both give the same results to float rounding.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "kernels/kernel_mode.h"
#include "model/config.h"
#include "model/crf.h"
#include "model/encoder_base.h"
#include "model/modernbert.h"

namespace triage::model {

class PackedCpuEncoder;  // model/packed_cpu.h

// word + position (+ token type) embeddings, LayerNorm, dropout; embedding_size wide.
struct EmbeddingsImpl : torch::nn::Module {
  explicit EmbeddingsImpl(const ModelConfig& c);
  // input_ids, position_ids, token_type_ids: [batch, seq] int64 -> [batch, seq, hidden]
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& position_ids,
                        const torch::Tensor& token_type_ids);
  // The same with the fused gather-sum + LayerNorm + dropout kernel.
  torch::Tensor forward_fused(const torch::Tensor& input_ids, const torch::Tensor& position_ids,
                              const torch::Tensor& token_type_ids);
  torch::nn::Embedding word_embeddings{nullptr}, position_embeddings{nullptr},
      token_type_embeddings{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(Embeddings);

struct SelfAttentionImpl : torch::nn::Module {
  explicit SelfAttentionImpl(const ModelConfig& c);
  torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr};
};
TORCH_MODULE(SelfAttention);

// dense + dropout + residual LayerNorm (BertSelfOutput and BertOutput share this shape).
struct ResidualOutputImpl : torch::nn::Module {
  ResidualOutputImpl(int64_t in, int64_t out, double eps, double dropout);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& residual);
  torch::nn::Linear dense{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(ResidualOutput);

struct AttentionImpl : torch::nn::Module {
  explicit AttentionImpl(const ModelConfig& c);
  SelfAttention self{nullptr};
  ResidualOutput output{nullptr};
};
TORCH_MODULE(Attention);

struct IntermediateImpl : torch::nn::Module {
  explicit IntermediateImpl(const ModelConfig& c);
  torch::nn::Linear dense{nullptr};
};
TORCH_MODULE(Intermediate);

struct LayerImpl : torch::nn::Module {
  explicit LayerImpl(const ModelConfig& c);
  // x: [batch, seq, hidden]; attn_mask: [batch, 1, 1, seq] bool, true = attend
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& attn_mask);
  // The same with the fused kernels; key_mask: [batch, seq] bool, true = attend.
  torch::Tensor forward_fused(const torch::Tensor& x, const torch::Tensor& key_mask);
  // x [tokens, hidden] of an unpadded batch (model/unpadded.h)
  torch::Tensor forward_unpadded(const torch::Tensor& x, const Unpadded& u);
  Attention attention{nullptr};
  Intermediate intermediate{nullptr};
  ResidualOutput output{nullptr};
  int64_t heads, head_dim;
  double attn_dropout;
  std::string act;
};
TORCH_MODULE(Layer);

struct BackboneImpl : EncoderBase {
  explicit BackboneImpl(const ModelConfig& c);
  Embeddings embeddings{nullptr};
  // electra with embedding_size != hidden_size: embeddings -> hidden, else null
  torch::nn::Linear embeddings_project{nullptr};
  // [batch, seq] ids and mask -> [batch, seq, hidden]
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                        const torch::Tensor& token_type_ids) override;
  // Real tokens only: attention per row (varlen_attention), everything else on [tokens, hidden].
  torch::Tensor forward_unpadded(const Unpadded& u) override;
  bool pack_for_cpu(std::string* why, c10::ScalarType dtype) override;
  void drop_cpu_packing() override { packed.reset(); }
  bool cpu_packed() const override { return packed != nullptr; }
  std::shared_ptr<torch::nn::Module> encoder;  // holds "layer", as transformers' BertEncoder
  torch::nn::ModuleList layer{nullptr};
  std::vector<Layer> layers;  // the same modules as `layer`, typed
  ModelConfig config;
  // Prepacked CPU inference layers (TokenClassifier::pack_for_cpu_inference), or null.
  std::shared_ptr<PackedCpuEncoder> packed;
};
TORCH_MODULE(Backbone);

struct EncoderOutput {
  torch::Tensor token_logits;   // [batch, seq, num_labels]; unpadded: [tokens, num_labels]
  torch::Tensor intent_logits;  // [batch, num_intents], undefined without an intent head
  torch::Tensor hidden;         // [batch, seq, hidden] last layer; unpadded: [tokens, hidden]
};

class TokenClassifierImpl : public torch::nn::Module {
 public:
  explicit TokenClassifierImpl(ModelConfig config);
  // input_ids: [batch, seq] int64; attention_mask: [batch, seq] (1 = token, 0 = padding), or
  // undefined when nothing is padded (the faster unmasked attention path);
  // token_type_ids: [batch, seq] int64 or undefined (zeros).
  EncoderOutput forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                        const torch::Tensor& token_type_ids = {});
  // The same without padding (model/unpadded.h): token logits [tokens, num_labels], the
  // intent from each row's first token. Equal to forward() on the padded batch at the real
  // tokens (model_test: 1e-5 in fp32).
  EncoderOutput forward_unpadded(const Unpadded& u);
  const ModelConfig& config() const { return config_; }
  bool has_intent_head() const { return !intent_classifier.is_empty(); }
  bool has_crf() const { return !crf.is_empty(); }
  // Fresh heads as transformers initialises them: normal(0, 0.02) weights, zero bias (the
  // CRF's transitions as pytorch-crf does).
  void init_heads(uint64_t seed);
  // Backbone prefix of the Hugging Face names: "bert", "roberta", "deberta", "model", ...
  const std::string& base_prefix() const { return prefix_; }
  // model.kernels: Auto (default) = fused kernels on CUDA, torch ops on the CPU; Fused on
  // the CPU runs the fp32 references; Torch keeps the composite path everywhere.
  void set_kernels(kernels::KernelMode mode) { encoder->kernel_mode = mode; }
  kernels::KernelMode kernels() const { return encoder->kernel_mode; }
  // Inference on the CPU with prepacked oneDNN weights (model/packed_cpu.h): taken by
  // forward() in eval mode without gradients on CPU inputs, while the packed parameters are
  // unchanged. dtype kBFloat16 computes the encoder in bf16 (CPUs with native bf16 products
  // only; the BERT-layer families). False, with the reason in *why, where this libtorch,
  // model or CPU can't.
  bool pack_for_cpu_inference(std::string* why = nullptr, c10::ScalarType dtype = c10::ScalarType::Float);
  // The same for a precision named by the user (fp32 | bf16 | int8, model::cpu_precision) under
  // the setting `key`. fp32 may fall back to the composite ops (false, the reason in *why); a
  // reduced precision never falls back silently: InputError "<key>: <precision>: <reason>".
  bool pack_for_cpu_precision(const std::string& precision, const std::string& key, std::string* why = nullptr);
  void drop_cpu_packing() { encoder->drop_cpu_packing(); }
  bool cpu_packed() const { return encoder->cpu_packed(); }
  // How forward() computes on the CPU in eval mode: "packed (oneDNN prepacked weights)" or
  // "composite torch ops", with the reason where packing was tried (/v1/info, triage-model info).
  std::string cpu_compute_path() const;
  // token_cross_entropy() below under this model's kernel mode.
  torch::Tensor token_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                           int64_t ignore_index = -100) const;

  std::shared_ptr<EncoderBase> encoder;  // the family's backbone, registered under base_prefix()
  Backbone backbone{nullptr};            // the same module for BERT-layer families, else null
  ModernBertHead head{nullptr};          // modernbert: dense + activation + norm before the dropout, else null
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Linear classifier{nullptr};
  torch::nn::Linear intent_classifier{nullptr};
  Crf crf{nullptr};  // config.crf_head: transitions over the labels (model/crf.h), else null

 private:
  ModelConfig config_;
  std::string prefix_;
  std::string pack_failure_;  // why the last pack_for_cpu_inference() could not pack
};
TORCH_MODULE(TokenClassifier);

// Mean token cross-entropy over labels != ignore_index: logits [batch, seq, num_labels] (fp32
// or bf16; math in fp32), labels [batch, seq]. The fused kernel where kernels::use_fused(mode)
// (its C++ reference on the CPU), torch's cross_entropy otherwise; 0 (with a zero gradient)
// when no position is labelled, where torch's alone gives NaN. The token term of the training
// objective (train/loss.h) and of TokenClassifier::token_loss.
torch::Tensor token_cross_entropy(kernels::KernelMode mode, const torch::Tensor& logits, const torch::Tensor& labels,
                                  int64_t ignore_index = -100);

// Roberta-style position ids from input ids: padding_idx + 1 + running count of
// non-padding tokens, padding_idx at padding (transformers' create_position_ids_from_input_ids).
torch::Tensor roberta_position_ids(const torch::Tensor& input_ids, int64_t padding_idx);

}  // namespace triage::model
