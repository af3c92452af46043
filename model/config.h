// Encoder configuration as read from a Hugging Face config.json: the families built of
// BERT's post-LayerNorm layers (bert and MiniLM, roberta, xlm-roberta, distilbert, electra),
// each with its own key names, the token labels (id2label) and triage's intent labels.
// Validation errors name the file and the key, what was expected and found.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace triage::model {

enum class Family { Bert, Roberta, XlmRoberta, DistilBert, Electra };

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
  std::string hidden_act = "gelu";        // gelu (erf), gelu_new / gelu_pytorch_tanh, relu
  std::vector<std::string> labels;        // token labels, index = class id (id2label)
  std::vector<std::string> intent_labels; // empty: no intent head
  nlohmann::json raw;                     // the whole file, so unknown keys survive a save

  int64_t head_dim() const { return hidden_size / num_attention_heads; }
  bool roberta_positions() const { return family == Family::Roberta || family == Family::XlmRoberta; }
  // Roberta-style position ids start past the padding index.
  int64_t position_offset() const { return roberta_positions() ? pad_token_id + 1 : 0; }
  std::string base_prefix() const;   // the backbone's name in tensor names: "bert", "roberta", ...
  std::string architecture() const;  // "BertForTokenClassification", ...
};

// Parses and validates config.json. Throws InputError naming the file and key.
ModelConfig load_config(const std::filesystem::path& config_json);
// Builds from an already-parsed object; source names it in errors.
ModelConfig config_from_json(const nlohmann::json& j, const std::string& source);
// The config.json written next to fine-tuned weights: the original keys, updated
// architectures, id2label/label2id and triage_intent_labels.
nlohmann::json config_to_json(const ModelConfig& config);

}  // namespace triage::model
