// Parsing and validation of Hugging Face config.json for the BERT-layer families.
#include "model/config.h"

#include <fstream>
#include <map>

#include "core/error.h"

namespace triage::model {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& source, const std::string& key, const std::string& what) {
  throw InputError(source + ": key '" + key + "': " + what);
}

int64_t get_int(const json& j, const std::string& source, const std::string& key, int64_t fallback,
                bool required, int64_t min_value) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) fail(source, key, "missing (expected an integer)");
    return fallback;
  }
  if (!it->is_number_integer()) fail(source, key, "expected an integer, found " + it->dump());
  const auto v = it->get<int64_t>();
  if (v < min_value) fail(source, key, "expected >= " + std::to_string(min_value) + ", found " + std::to_string(v));
  return v;
}

double get_double(const json& j, const std::string& source, const std::string& key, double fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_number()) fail(source, key, "expected a number, found " + it->dump());
  return it->get<double>();
}

std::vector<std::string> read_id2label(const json& j, const std::string& source) {
  auto it = j.find("id2label");
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_object()) fail(source, "id2label", "expected an object {\"0\": \"O\", ...}, found " + it->dump());
  std::map<int64_t, std::string> by_id;
  for (const auto& [k, v] : it->items()) {
    size_t used = 0;
    int64_t id = -1;
    try {
      id = std::stoll(k, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != k.size() || id < 0) fail(source, "id2label", "key '" + k + "' is not a non-negative integer");
    if (!v.is_string()) fail(source, "id2label." + k, "expected a string, found " + v.dump());
    by_id[id] = v.get<std::string>();
  }
  std::vector<std::string> labels;
  for (const auto& [id, name] : by_id) {
    if (id != static_cast<int64_t>(labels.size()))
      fail(source, "id2label", "ids must be 0..N-1 without gaps; id " + std::to_string(labels.size()) + " is missing");
    labels.push_back(name);
  }
  return labels;
}

}  // namespace

std::string ModelConfig::architecture() const {
  switch (family) {
    case Family::Bert: return "BertForTokenClassification";
    case Family::Roberta: return "RobertaForTokenClassification";
    case Family::XlmRoberta: return "XLMRobertaForTokenClassification";
    case Family::DistilBert: return "DistilBertForTokenClassification";
    case Family::Electra: return "ElectraForTokenClassification";
  }
  return "BertForTokenClassification";
}

std::string ModelConfig::base_prefix() const {
  switch (family) {
    case Family::Bert: return "bert";
    case Family::Roberta:
    case Family::XlmRoberta: return "roberta";
    case Family::DistilBert: return "distilbert";
    case Family::Electra: return "electra";
  }
  return "bert";
}

ModelConfig config_from_json(const json& j, const std::string& source) {
  if (!j.is_object()) throw InputError(source + ": expected a JSON object, found " + std::string(j.type_name()));
  ModelConfig c;
  c.raw = j;
  auto mt = j.find("model_type");
  const char* supported = "bert, roberta, xlm-roberta, distilbert, electra";
  if (mt == j.end() || !mt->is_string()) fail(source, "model_type", std::string("missing (expected one of ") + supported + ")");
  c.model_type = mt->get<std::string>();
  if (c.model_type == "bert") {
    c.family = Family::Bert;
  } else if (c.model_type == "roberta") {
    c.family = Family::Roberta;
  } else if (c.model_type == "xlm-roberta") {
    c.family = Family::XlmRoberta;
  } else if (c.model_type == "distilbert") {
    c.family = Family::DistilBert;
  } else if (c.model_type == "electra") {
    c.family = Family::Electra;
  } else {
    fail(source, "model_type", "unsupported model type '" + c.model_type + "' (supported: " + supported + ")");
  }
  // DistilBERT names the same sizes differently and has no token types (its LayerNorms use
  // 1e-12, not a key); the others use BERT's keys.
  const bool distil = c.family == Family::DistilBert;
  const auto key = [&](const char* bert, const char* distilbert) { return std::string(distil ? distilbert : bert); };
  c.vocab_size = get_int(j, source, "vocab_size", 0, true, 1);
  c.hidden_size = get_int(j, source, key("hidden_size", "dim"), 0, true, 1);
  c.num_hidden_layers = get_int(j, source, key("num_hidden_layers", "n_layers"), 0, true, 1);
  c.num_attention_heads = get_int(j, source, key("num_attention_heads", "n_heads"), 0, true, 1);
  c.intermediate_size = get_int(j, source, key("intermediate_size", "hidden_dim"), 0, true, 1);
  c.max_position_embeddings = get_int(j, source, "max_position_embeddings", 512, false, 1);
  c.type_vocab_size = distil ? 0 : get_int(j, source, "type_vocab_size", 2, false, 0);
  c.pad_token_id = get_int(j, source, "pad_token_id", c.roberta_positions() ? 1 : 0, false, 0);
  c.layer_norm_eps = distil ? 1e-12 : get_double(j, source, "layer_norm_eps", 1e-12);
  c.hidden_dropout_prob = get_double(j, source, key("hidden_dropout_prob", "dropout"), 0.1);
  c.attention_probs_dropout_prob = get_double(j, source, key("attention_probs_dropout_prob", "attention_dropout"), 0.1);
  c.classifier_dropout = distil ? -1 : get_double(j, source, "classifier_dropout", -1);
  c.embedding_size = c.family == Family::Electra ? get_int(j, source, "embedding_size", c.hidden_size, false, 1)
                                                 : c.hidden_size;
  // distilbert's sinusoidal_pos_embds only initialises the position table, which the
  // checkpoint holds and transformers 5 trains like any other: nothing to do here
  if (c.hidden_size % c.num_attention_heads != 0)
    fail(source, key("num_attention_heads", "n_heads"), key("hidden_size ", "dim ") + std::to_string(c.hidden_size) +
                                            " is not a multiple of " + key("num_attention_heads ", "n_heads ") +
                                            std::to_string(c.num_attention_heads));
  if (c.pad_token_id >= c.vocab_size)
    fail(source, "pad_token_id", "must be < vocab_size " + std::to_string(c.vocab_size));
  const std::string act_key = key("hidden_act", "activation");
  if (auto act = j.find(act_key); act != j.end()) {
    if (!act->is_string()) fail(source, act_key, "expected a string, found " + act->dump());
    c.hidden_act = act->get<std::string>();
  }
  if (c.hidden_act != "gelu" && c.hidden_act != "gelu_new" && c.hidden_act != "gelu_pytorch_tanh" &&
      c.hidden_act != "relu")
    fail(source, act_key, "unsupported activation '" + c.hidden_act + "' (supported: gelu, gelu_new, gelu_pytorch_tanh, relu)");
  if (auto pe = j.find("position_embedding_type"); pe != j.end() && !pe->is_null()) {
    if (!pe->is_string() || pe->get<std::string>() != "absolute")
      fail(source, "position_embedding_type", "only \"absolute\" is supported, found " + pe->dump());
  }
  if (c.roberta_positions() && c.max_position_embeddings <= c.position_offset())
    fail(source, "max_position_embeddings", "must exceed pad_token_id + 1 for roberta-style models");
  c.labels = read_id2label(j, source);
  if (auto il = j.find("triage_intent_labels"); il != j.end() && !il->is_null()) {
    if (!il->is_array()) fail(source, "triage_intent_labels", "expected an array of strings, found " + il->dump());
    for (const auto& v : *il) {
      if (!v.is_string()) fail(source, "triage_intent_labels", "expected strings, found " + v.dump());
      c.intent_labels.push_back(v.get<std::string>());
    }
  }
  return c;
}

ModelConfig load_config(const std::filesystem::path& config_json) {
  std::ifstream in(config_json);
  if (!in) throw InputError(config_json.string() + ": cannot open (expected a Hugging Face config.json)");
  json j;
  try {
    j = json::parse(in);
  } catch (const json::parse_error& e) {
    throw InputError(config_json.string() + ": invalid JSON: " + e.what());
  }
  return config_from_json(j, config_json.string());
}

json config_to_json(const ModelConfig& c) {
  json j = c.raw.is_object() ? c.raw : json::object();
  j["model_type"] = c.model_type;
  j["architectures"] = json::array({c.architecture()});
  j["vocab_size"] = c.vocab_size;
  j["max_position_embeddings"] = c.max_position_embeddings;
  j["pad_token_id"] = c.pad_token_id;
  if (c.family == Family::DistilBert) {
    j["dim"] = c.hidden_size;
    j["n_layers"] = c.num_hidden_layers;
    j["n_heads"] = c.num_attention_heads;
    j["hidden_dim"] = c.intermediate_size;
    j["dropout"] = c.hidden_dropout_prob;
    j["attention_dropout"] = c.attention_probs_dropout_prob;
    j["activation"] = c.hidden_act;
  } else {
    j["hidden_size"] = c.hidden_size;
    j["num_hidden_layers"] = c.num_hidden_layers;
    j["num_attention_heads"] = c.num_attention_heads;
    j["intermediate_size"] = c.intermediate_size;
    j["type_vocab_size"] = c.type_vocab_size;
    j["layer_norm_eps"] = c.layer_norm_eps;
    j["hidden_dropout_prob"] = c.hidden_dropout_prob;
    j["attention_probs_dropout_prob"] = c.attention_probs_dropout_prob;
    j["hidden_act"] = c.hidden_act;
    if (c.family == Family::Electra) j["embedding_size"] = c.embedding_size;
  }
  json id2label = json::object(), label2id = json::object();
  for (size_t i = 0; i < c.labels.size(); ++i) {
    id2label[std::to_string(i)] = c.labels[i];
    label2id[c.labels[i]] = i;
  }
  j["id2label"] = id2label;
  j["label2id"] = label2id;
  if (c.intent_labels.empty()) {
    j.erase("triage_intent_labels");
  } else {
    j["triage_intent_labels"] = c.intent_labels;
  }
  j.erase("_name_or_path");
  // Weights are saved in fp32 whatever the source held; transformers 5 reads "dtype",
  // 4.x "torch_dtype", and loads in that dtype by default.
  j["dtype"] = "float32";
  j["torch_dtype"] = "float32";
  return j;
}

}  // namespace triage::model
