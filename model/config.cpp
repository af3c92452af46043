// Parsing and validation of Hugging Face config.json for the BERT-layer families.
#include "model/config.h"

#include <cctype>
#include <climits>
#include <cstdint>
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

bool get_bool(const json& j, const std::string& source, const std::string& key, bool fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) fail(source, key, "expected true or false, found " + it->dump());
  return it->get<bool>();
}

std::string get_string(const json& j, const std::string& source, const std::string& key, const std::string& fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_string()) fail(source, key, "expected a string, found " + it->dump());
  return it->get<std::string>();
}

void check_activation(const std::string& source, const std::string& key, const std::string& act) {
  if (!known_activation(act))
    fail(source, key, "unsupported activation '" + act + "' (supported: " + kActivations + ")");
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

bool known_activation(const std::string& name) {
  return name == "gelu" || name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "relu" || name == "silu" ||
         name == "tanh";
}

std::string ModelConfig::architecture() const {
  switch (family) {
    case Family::DebertaV2: return "DebertaV2ForTokenClassification";
    case Family::ModernBert: return "ModernBertForTokenClassification";
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
    case Family::DebertaV2: return "deberta";
    case Family::ModernBert: return "model";
  }
  return "bert";
}

namespace {

// deberta-v2: BERT's size keys, its own defaults (layer_norm_eps 1e-7, no token types) and the
// relative-attention keys of DebertaOptions.
void read_deberta(const json& j, const std::string& source, ModelConfig& c) {
  auto& d = c.deberta;
  c.type_vocab_size = get_int(j, source, "type_vocab_size", 0, false, 0);
  c.layer_norm_eps = get_double(j, source, "layer_norm_eps", 1e-7);
  c.classifier_dropout = -1;  // DebertaV2ForTokenClassification drops with hidden_dropout_prob
  c.embedding_size = get_int(j, source, "embedding_size", c.hidden_size, false, 1);
  d.relative_attention = get_bool(j, source, "relative_attention", false);
  d.max_relative_positions = get_int(j, source, "max_relative_positions", -1, false, INT64_MIN);
  d.position_buckets = get_int(j, source, "position_buckets", -1, false, INT64_MIN);
  d.share_att_key = get_bool(j, source, "share_att_key", false);
  d.position_biased_input = get_bool(j, source, "position_biased_input", true);
  d.conv_kernel_size = get_int(j, source, "conv_kernel_size", 0, false, 0);
  d.conv_groups = get_int(j, source, "conv_groups", 1, false, 1);
  d.conv_act = get_string(j, source, "conv_act", "tanh");
  if (d.conv_kernel_size > 0) {
    check_activation(source, "conv_act", d.conv_act);
    if (c.hidden_size % d.conv_groups != 0)
      fail(source, "conv_groups", "hidden_size " + std::to_string(c.hidden_size) + " is not a multiple of conv_groups " +
                                      std::to_string(d.conv_groups));
  }
  // pos_att_type: "p2c|c2p" (older configs) or ["p2c", "c2p"]
  std::vector<std::string> types;
  if (auto it = j.find("pos_att_type"); it != j.end() && !it->is_null()) {
    if (it->is_string()) {
      std::string all = it->get<std::string>();
      size_t at = 0;
      while (at <= all.size()) {
        size_t bar = all.find('|', at);
        if (bar == std::string::npos) bar = all.size();
        std::string t = all.substr(at, bar - at);
        t.erase(0, t.find_first_not_of(' '));
        t.erase(t.find_last_not_of(' ') + 1);
        for (auto& ch : t) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        types.push_back(t);
        at = bar + 1;
      }
    } else if (it->is_array()) {
      for (const auto& v : *it) {
        if (!v.is_string()) fail(source, "pos_att_type", "expected strings, found " + v.dump());
        types.push_back(v.get<std::string>());
      }
    } else {
      fail(source, "pos_att_type", "expected a list such as [\"p2c\", \"c2p\"] or \"p2c|c2p\", found " + it->dump());
    }
  }
  for (const auto& t : types) {
    if (t == "c2p") d.c2p = true;
    else if (t == "p2c") d.p2c = true;
    else if (!t.empty()) fail(source, "pos_att_type", "unsupported entry '" + t + "' (supported: c2p, p2c)");
  }
  const std::string norm = get_string(j, source, "norm_rel_ebd", "none");
  if (norm == "layer_norm") d.norm_rel_ebd = true;
  else if (norm != "none") fail(source, "norm_rel_ebd", "unsupported value '" + norm + "' (supported: none, layer_norm)");
  if (auto it = j.find("attention_head_size"); it != j.end() && !it->is_null() &&
      (!it->is_number_integer() || it->get<int64_t>() != c.hidden_size / c.num_attention_heads))
    fail(source, "attention_head_size", "only hidden_size / num_attention_heads = " +
                                            std::to_string(c.hidden_size / c.num_attention_heads) + " is supported, found " + it->dump());
  if (d.relative_attention && d.att_span(c.max_position_embeddings) < 1)
    fail(source, "position_buckets", "relative attention needs a positive span");
  if (!d.relative_attention && !d.position_biased_input)
    fail(source, "position_biased_input", "false with relative_attention false leaves the model no position information");
}

// modernbert: its own key names (hidden_activation, norm_eps, attention_dropout), bias
// switches, rotary thetas and the local/global layer pattern.
void read_modernbert(const json& j, const std::string& source, ModelConfig& c) {
  auto& m = c.modernbert;
  c.type_vocab_size = 0;
  c.layer_norm_eps = get_double(j, source, "norm_eps", 1e-5);
  c.hidden_dropout_prob = 0;  // ModernBERT names each dropout
  c.attention_probs_dropout_prob = get_double(j, source, "attention_dropout", 0.0);
  c.classifier_dropout = get_double(j, source, "classifier_dropout", 0.0);
  m.embedding_dropout = get_double(j, source, "embedding_dropout", 0.0);
  m.mlp_dropout = get_double(j, source, "mlp_dropout", 0.0);
  m.norm_bias = get_bool(j, source, "norm_bias", false);
  m.attention_bias = get_bool(j, source, "attention_bias", false);
  m.mlp_bias = get_bool(j, source, "mlp_bias", false);
  m.classifier_bias = get_bool(j, source, "classifier_bias", false);
  m.classifier_activation = get_string(j, source, "classifier_activation", "gelu");
  check_activation(source, "classifier_activation", m.classifier_activation);
  if (c.head_dim() % 2 != 0)
    fail(source, "num_attention_heads", "rotary embeddings need an even head size; hidden_size " +
                                            std::to_string(c.hidden_size) + " / " + std::to_string(c.num_attention_heads) +
                                            " heads = " + std::to_string(c.head_dim()));
  m.local_attention = get_int(j, source, "local_attention", 128, false, 2);
  if (m.local_attention > c.max_position_embeddings)
    fail(source, "local_attention", "window " + std::to_string(m.local_attention) + " is larger than max_position_embeddings " +
                                        std::to_string(c.max_position_embeddings));
  if (auto it = j.find("layer_types"); it != j.end() && !it->is_null()) {
    if (!it->is_array() || static_cast<int64_t>(it->size()) != c.num_hidden_layers)
      fail(source, "layer_types", "expected a list of " + std::to_string(c.num_hidden_layers) + " entries, found " + it->dump());
    for (const auto& t : *it) {
      if (t == "full_attention") m.layer_is_global.push_back(true);
      else if (t == "sliding_attention") m.layer_is_global.push_back(false);
      else fail(source, "layer_types", "unsupported entry " + t.dump() + " (supported: full_attention, sliding_attention)");
    }
  } else {
    const int64_t every = get_int(j, source, "global_attn_every_n_layers", 3, false, 1);
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) m.layer_is_global.push_back(i % every == 0);
  }
  m.global_rope_theta = get_double(j, source, "global_rope_theta", 160000.0);
  m.local_rope_theta = get_double(j, source, "local_rope_theta", 10000.0);
  if (auto it = j.find("rope_parameters"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) fail(source, "rope_parameters", "expected an object, found " + it->dump());
    for (const auto& [type, theta] : {std::pair{"full_attention", &m.global_rope_theta},
                                      std::pair{"sliding_attention", &m.local_rope_theta}}) {
      auto p = it->find(type);
      if (p == it->end() || p->is_null()) continue;
      const std::string key = std::string("rope_parameters.") + type;
      if (!p->is_object()) fail(source, key, "expected an object, found " + p->dump());
      if (auto rt = p->find("rope_type"); rt != p->end() && (!rt->is_string() || *rt != "default"))
        fail(source, key + ".rope_type", "only \"default\" rotary embeddings are supported, found " + rt->dump());
      if (auto th = p->find("rope_theta"); th != p->end() && !th->is_null()) {
        if (!th->is_number() || th->get<double>() <= 0)
          fail(source, key + ".rope_theta", "expected a positive number, found " + th->dump());
        *theta = th->get<double>();
      }
    }
  }
  if (auto it = j.find("rope_scaling"); it != j.end() && !it->is_null())
    fail(source, "rope_scaling", "scaled rotary embeddings are not supported, found " + it->dump());
  if (auto it = j.find("classifier_pooling"); it != j.end() && !it->is_null() && !it->is_string())
    fail(source, "classifier_pooling", "expected a string, found " + it->dump());  // sequence heads only
}

}  // namespace

ModelConfig config_from_json(const json& j, const std::string& source) {
  if (!j.is_object()) throw InputError(source + ": expected a JSON object, found " + std::string(j.type_name()));
  ModelConfig c;
  c.raw = j;
  auto mt = j.find("model_type");
  const char* supported = "bert, roberta, xlm-roberta, distilbert, electra, deberta-v2, modernbert";
  if (mt == j.end() || !mt->is_string()) fail(source, "model_type", std::string("missing (expected one of ") + supported + ")");
  c.model_type = mt->get<std::string>();
  static const std::map<std::string, Family> kFamilies{
      {"bert", Family::Bert},           {"roberta", Family::Roberta},       {"xlm-roberta", Family::XlmRoberta},
      {"distilbert", Family::DistilBert}, {"electra", Family::Electra},     {"deberta-v2", Family::DebertaV2},
      {"modernbert", Family::ModernBert}};
  const auto family = kFamilies.find(c.model_type);
  if (family == kFamilies.end())
    fail(source, "model_type", "unsupported model type '" + c.model_type + "' (supported: " + supported + ")");
  c.family = family->second;
  // DistilBERT and ModernBERT name the same sizes differently and have no token types
  // (DistilBERT's LayerNorms use 1e-12, not a key); the others use BERT's keys.
  const bool distil = c.family == Family::DistilBert;
  const bool modern = c.family == Family::ModernBert;
  const auto key = [&](const char* bert, const char* distilbert) { return std::string(distil ? distilbert : bert); };
  c.vocab_size = get_int(j, source, "vocab_size", 0, true, 1);
  c.hidden_size = get_int(j, source, key("hidden_size", "dim"), 0, true, 1);
  c.num_hidden_layers = get_int(j, source, key("num_hidden_layers", "n_layers"), 0, true, 1);
  c.num_attention_heads = get_int(j, source, key("num_attention_heads", "n_heads"), 0, true, 1);
  c.intermediate_size = get_int(j, source, key("intermediate_size", "hidden_dim"), 0, true, 1);
  c.max_position_embeddings = get_int(j, source, "max_position_embeddings", modern ? 8192 : 512, false, 1);
  c.type_vocab_size = distil ? 0 : get_int(j, source, "type_vocab_size", 2, false, 0);
  c.pad_token_id = get_int(j, source, "pad_token_id", c.roberta_positions() ? 1 : modern ? 50283 : 0, false, 0);
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
  const std::string act_key = distil ? "activation" : modern ? "hidden_activation" : "hidden_act";
  c.hidden_act = get_string(j, source, act_key, "gelu");
  check_activation(source, act_key, c.hidden_act);
  if (c.family == Family::DebertaV2) read_deberta(j, source, c);
  if (modern) read_modernbert(j, source, c);
  if (auto pe = j.find("position_embedding_type"); c.bert_layers() && pe != j.end() && !pe->is_null()) {
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
  if (auto h = j.find("triage_head"); h != j.end() && !h->is_null()) {
    if (!h->is_string() || (*h != "crf" && *h != "softmax"))
      fail(source, "triage_head", "expected \"softmax\" or \"crf\", found " + h->dump());
    c.crf_head = *h == "crf";
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
  } else if (c.family == Family::ModernBert) {
    // every other key is the file's own (c.raw), unchanged
    j["hidden_size"] = c.hidden_size;
    j["num_hidden_layers"] = c.num_hidden_layers;
    j["num_attention_heads"] = c.num_attention_heads;
    j["intermediate_size"] = c.intermediate_size;
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
    if (c.family == Family::Electra || c.family == Family::DebertaV2) j["embedding_size"] = c.embedding_size;
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
  if (c.crf_head) {
    j["triage_head"] = "crf";
  } else {
    j.erase("triage_head");
  }
  j.erase("_name_or_path");
  // Weights are saved in fp32 whatever the source held; transformers 5 reads "dtype",
  // 4.x "torch_dtype", and loads in that dtype by default.
  j["dtype"] = "float32";
  j["torch_dtype"] = "float32";
  return j;
}

}  // namespace triage::model
