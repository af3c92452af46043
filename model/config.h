// Encoder configuration as read from a Hugging Face config.json: the families built of
// BERT's post-LayerNorm layers (bert and MiniLM, roberta, xlm-roberta, distilbert, electra),
// deberta-v2 (DeBERTa-v2 and -v3: disentangled relative attention) and modernbert (pre-norm,
// rotary, GeGLU, local/global attention), each with its own key names, the token labels
// (id2label) and triage's intent labels. Validation errors name the file and the key, what
// was expected and found; an option triage does not implement is an error naming its key.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace triage::model {

enum class Family { Bert, Roberta, XlmRoberta, DistilBert, Electra, DebertaV2, ModernBert };

// deberta-v2 keys (transformers' DebertaV2Config; defaults as there).
struct DebertaOptions {
  bool relative_attention = false;
  int64_t max_relative_positions = -1;     // < 1: max_position_embeddings
  int64_t position_buckets = -1;           // > 0: log-bucketed relative positions
  bool c2p = false, p2c = false;           // pos_att_type
  bool share_att_key = false;              // positions projected by query_proj/key_proj
  bool position_biased_input = true;       // absolute position embeddings added to the input
  bool norm_rel_ebd = false;               // norm_rel_ebd "layer_norm": LayerNorm on the relative embeddings
  int64_t conv_kernel_size = 0;            // > 0: the convolution beside the first layer
  int64_t conv_groups = 1;
  std::string conv_act = "tanh";
  // Relative distances covered: position_buckets if set, else max_relative_positions.
  int64_t att_span(int64_t max_position_embeddings) const {
    if (position_buckets > 0) return position_buckets;
    return max_relative_positions >= 1 ? max_relative_positions : max_position_embeddings;
  }
  int64_t max_relative(int64_t max_position_embeddings) const {
    return max_relative_positions >= 1 ? max_relative_positions : max_position_embeddings;
  }
};

// modernbert keys (transformers' ModernBertConfig; defaults as there).
struct ModernBertOptions {
  std::vector<bool> layer_is_global;       // layer_types, or every global_attn_every_n_layers-th
  int64_t local_attention = 128;           // window width: |query - key| <= local_attention / 2
  double global_rope_theta = 160000.0, local_rope_theta = 10000.0;
  bool norm_bias = false, attention_bias = false, mlp_bias = false, classifier_bias = false;
  std::string classifier_activation = "gelu";
  double embedding_dropout = 0, mlp_dropout = 0;
};

struct ModelConfig {
  Family family = Family::Bert;
  std::string model_type = "bert";        // as written in config.json
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t embedding_size = 0;             // electra: embeddings width, projected to hidden_size
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t intermediate_size = 0;
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;            // 1 for roberta-style checkpoints
  int64_t pad_token_id = 0;
  double layer_norm_eps = 1e-12;
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
  double classifier_dropout = -1;         // < 0: use hidden_dropout_prob, as transformers does
  std::string hidden_act = "gelu";        // gelu (erf), gelu_new / gelu_pytorch_tanh, relu (silu, tanh)
  std::vector<std::string> labels;        // token labels, index = class id (id2label)
  std::vector<std::string> intent_labels; // empty: no intent head
  bool crf_head = false;                  // triage_head "crf": a CRF over the labels (model/crf.h)
  DebertaOptions deberta;                 // family DebertaV2 only
  ModernBertOptions modernbert;           // family ModernBert only
  nlohmann::json raw;                     // the whole file, so unknown keys survive a save

  int64_t head_dim() const { return hidden_size / num_attention_heads; }
  bool roberta_positions() const { return family == Family::Roberta || family == Family::XlmRoberta; }
  // Roberta-style position ids start past the padding index.
  int64_t position_offset() const { return roberta_positions() ? pad_token_id + 1 : 0; }
  // The families whose layers are BERT's (one layer code, the prepacked CPU path).
  bool bert_layers() const { return family != Family::DebertaV2 && family != Family::ModernBert; }
  std::string base_prefix() const;   // the backbone's name in tensor names: "bert", "roberta", ...
  std::string architecture() const;  // "BertForTokenClassification", ...
};

// The activations (hidden_act, hidden_activation, conv_act, classifier_activation) the
// encoders implement, by transformers' ACT2FN names.
inline constexpr const char* kActivations = "gelu, gelu_new, gelu_pytorch_tanh, relu, silu, tanh";
bool known_activation(const std::string& name);

// Parses and validates config.json. Throws InputError naming the file and key.
ModelConfig load_config(const std::filesystem::path& config_json);
// Builds from an already-parsed object; source names it in errors.
ModelConfig config_from_json(const nlohmann::json& j, const std::string& source);
// The config.json written next to fine-tuned weights: the original keys, updated
// architectures, id2label/label2id, triage_intent_labels and triage_head.
nlohmann::json config_to_json(const ModelConfig& config);

}  // namespace triage::model
