// Loading WordPiece tokenizers from Hugging Face files (tokenizer.json, or vocab.txt with
// tokenizer_config.json / special_tokens_map.json) and saving them in all those formats.
#include <fstream>
#include <map>

#include "core/error.h"
#include "core/file_io.h"
#include "data/json_stage.h"
#include "data/special_token_names.h"
#include "data/utf8.h"
#include "data/wordpiece.h"

namespace triage::data {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The special-token names (and model_max_length) the directory's config files state.
void read_special_names(const fs::path& dir, WordPieceOptions& o, bool include_unk) {
  const SpecialTokenNames n = read_special_token_names(dir);
  if (include_unk && n.unk) o.unk_token = *n.unk;
  if (n.cls) o.cls_token = *n.cls;
  if (n.sep) o.sep_token = *n.sep;
  if (n.pad) o.pad_token = *n.pad;
  if (n.mask) o.mask_token = *n.mask;
  if (n.model_max_length) o.model_max_length = *n.model_max_length;
}

template <typename T>
T get_or(const json& j, const char* key, T fallback, const fs::path& file) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    throw InputError(file.string() + ": '" + key + "' has the wrong type (" + it->type_name() + ")");
  }
}

std::optional<bool> optional_bool(const json& j, const char* key, const fs::path& file) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean())
    throw InputError(file.string() + ": '" + key + "' must be true, false or null, found " +
                     it->dump());
  return it->get<bool>();
}

std::string quote(const std::string& s) { return json(s).dump(); }

}  // namespace

std::unique_ptr<WordPieceTokenizer> WordPieceTokenizer::from_tokenizer_json(const fs::path& file) {
  const json j = read_json_file(file);
  const std::string where = file.string();
  if (!j.is_object() || !j.contains("model") || !j["model"].is_object())
    throw InputError(where + ": no 'model' object (not a tokenizers tokenizer.json?)");
  const json& model = j["model"];
  const std::string type = get_or<std::string>(model, "type", "", file);
  if (type != "WordPiece")
    throw InputError(where + ": model.type is '" + type +
                     "', expected 'WordPiece' (other models load from their SentencePiece "
                     ".model file)");
  if (!model.contains("vocab") || !model["vocab"].is_object())
    throw InputError(where + ": model.vocab must be an object of token -> id");

  WordPieceOptions o;
  o.unk_token = get_or<std::string>(model, "unk_token", o.unk_token, file);
  o.continuing_subword_prefix =
      get_or<std::string>(model, "continuing_subword_prefix", o.continuing_subword_prefix, file);
  o.max_input_chars_per_word =
      get_or<int>(model, "max_input_chars_per_word", o.max_input_chars_per_word, file);

  std::vector<std::string> vocab = json_stage::vocab_by_id(model["vocab"], where + ": model.vocab");

  const json norm = j.value("normalizer", json());
  if (norm.is_null()) {
    o.normalizer = BertNormalizerOptions{false, false, false, false};
  } else if (norm.is_object() && norm.value("type", "") == "BertNormalizer") {
    o.normalizer.clean_text = get_or<bool>(norm, "clean_text", true, file);
    o.normalizer.handle_chinese_chars = get_or<bool>(norm, "handle_chinese_chars", true, file);
    o.normalizer.strip_accents = optional_bool(norm, "strip_accents", file);
    o.normalizer.lowercase = get_or<bool>(norm, "lowercase", true, file);
  } else {
    throw InputError(where + ": normalizer " + norm.dump().substr(0, 80) +
                     " is not supported (expected BertNormalizer or null)");
  }
  const json pre = j.value("pre_tokenizer", json());
  if (!pre.is_object() || pre.value("type", "") != "BertPreTokenizer")
    throw InputError(where + ": pre_tokenizer " + pre.dump().substr(0, 80) +
                     " is not supported (expected BertPreTokenizer)");

  std::vector<AddedToken> added;
  if (j.contains("added_tokens") && j["added_tokens"].is_array()) {
    for (const json& t : j["added_tokens"]) {
      AddedToken a;
      a.id = get_or<int32_t>(t, "id", -1, file);
      a.content = get_or<std::string>(t, "content", "", file);
      a.special = get_or<bool>(t, "special", false, file);
      a.single_word = get_or<bool>(t, "single_word", false, file);
      a.lstrip = get_or<bool>(t, "lstrip", false, file);
      a.rstrip = get_or<bool>(t, "rstrip", false, file);
      a.normalized = get_or<bool>(t, "normalized", !a.special, file);
      if (a.id < 0 || a.content.empty())
        throw InputError(where + ": added_tokens entry " + t.dump() + " needs an id and content");
      // An added token beyond the model vocabulary extends it, as in HF.
      while (static_cast<int32_t>(vocab.size()) <= a.id) vocab.emplace_back();
      if (vocab[a.id].empty()) vocab[a.id] = a.content;
      added.push_back(std::move(a));
    }
  }
  for (size_t i = 0; i < vocab.size(); ++i)
    if (vocab[i].empty())
      throw InputError(where + ": no token has id " + std::to_string(i));

  read_special_names(file.parent_path(), o, /*include_unk=*/false);
  // The post-processor says which tokens wrap a sequence.
  const json post = j.value("post_processor", json());
  if (post.is_object() && post.value("type", "") == "BertProcessing") {
    if (post.contains("cls") && post["cls"].is_array() && !post["cls"].empty())
      o.cls_token = post["cls"][0].get<std::string>();
    if (post.contains("sep") && post["sep"].is_array() && !post["sep"].empty())
      o.sep_token = post["sep"][0].get<std::string>();
  } else if (post.is_object() && post.value("type", "") == "TemplateProcessing" &&
             post.contains("single") && post["single"].is_array()) {
    const json& single = post["single"];
    if (!single.empty() && single.front().contains("SpecialToken"))
      o.cls_token = single.front()["SpecialToken"].value("id", o.cls_token);
    if (!single.empty() && single.back().contains("SpecialToken"))
      o.sep_token = single.back()["SpecialToken"].value("id", o.sep_token);
  }
  try {
    return std::make_unique<WordPieceTokenizer>(std::move(vocab), std::move(o), std::move(added));
  } catch (const InputError& e) {
    throw InputError(where + ": " + e.what());
  }
}

std::unique_ptr<WordPieceTokenizer> WordPieceTokenizer::from_vocab_txt(const fs::path& dir) {
  const fs::path file = dir / "vocab.txt";
  const std::string text = read_file(file);
  std::vector<std::string> vocab;
  std::unordered_map<std::string, size_t> seen;  // token -> line
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string tok = text.substr(pos, nl - pos);  // HF strips only the '\n'
    const size_t line = vocab.size() + 1;
    if (!utf8::valid(tok))
      throw InputError(file.string() + ":" + std::to_string(line) + ": not valid UTF-8");
    auto [it, fresh] = seen.emplace(tok, line);
    if (!fresh)
      throw InputError(file.string() + ":" + std::to_string(line) + ": duplicate token '" + tok +
                       "' (first on line " + std::to_string(it->second) + ")");
    vocab.push_back(std::move(tok));
    pos = nl + 1;
  }
  if (vocab.empty()) throw InputError(file.string() + ": empty vocabulary");

  WordPieceOptions o;
  std::vector<std::string> never_split;
  const fs::path config_file = dir / "tokenizer_config.json";
  if (fs::exists(config_file)) {
    const json c = read_json_file(config_file);
    if (!c.is_object()) throw InputError(config_file.string() + ": expected a JSON object");
    o.normalizer.lowercase = get_or<bool>(c, "do_lower_case", true, config_file);
    o.normalizer.strip_accents = optional_bool(c, "strip_accents", config_file);
    o.normalizer.handle_chinese_chars =
        get_or<bool>(c, "tokenize_chinese_chars", true, config_file);
    if (c.contains("never_split") && c["never_split"].is_array())
      for (const json& t : c["never_split"])
        if (t.is_string()) never_split.push_back(t.get<std::string>());
  }
  read_special_names(dir, o, /*include_unk=*/true);

  // Special tokens are matched in the raw text (normalized=false), as BertTokenizerFast does.
  std::vector<AddedToken> added;
  auto add = [&](const std::string& content, bool special, bool single_word) {
    auto it = seen.find(content);
    if (it == seen.end()) return;
    for (const AddedToken& a : added)
      if (a.content == content) return;
    AddedToken a;
    a.content = content;
    a.id = static_cast<int32_t>(it->second - 1);
    a.special = special;
    a.single_word = single_word;
    added.push_back(std::move(a));
  };
  for (const std::string* t : {&o.pad_token, &o.unk_token, &o.cls_token, &o.sep_token,
                               &o.mask_token})
    add(*t, true, false);
  // never_split (slow BertTokenizer): kept whole when it stands alone as a word.
  for (const std::string& t : never_split) add(t, false, true);
  try {
    return std::make_unique<WordPieceTokenizer>(std::move(vocab), std::move(o), std::move(added));
  } catch (const InputError& e) {
    throw InputError(file.string() + ": " + e.what());
  }
}

std::string WordPieceTokenizer::to_tokenizer_json() const {
  const BertNormalizerOptions& n = options_.normalizer;
  json added = json::array();
  for (const AddedToken& a : added_)
    added.push_back({{"id", a.id},
                     {"content", a.content},
                     {"single_word", a.single_word},
                     {"lstrip", a.lstrip},
                     {"rstrip", a.rstrip},
                     {"normalized", a.normalized},
                     {"special", a.special}});
  json normalizer = {{"type", "BertNormalizer"},
                     {"clean_text", n.clean_text},
                     {"handle_chinese_chars", n.handle_chinese_chars},
                     {"strip_accents", n.strip_accents ? json(*n.strip_accents) : json()},
                     {"lowercase", n.lowercase}};
  json post;
  if (special_.cls >= 0 && special_.sep >= 0) {
    const std::string& cls = options_.cls_token;
    const std::string& sep = options_.sep_token;
    auto special_token = [](const std::string& t, int type) {
      return json{{"SpecialToken", {{"id", t}, {"type_id", type}}}};
    };
    auto sequence = [](const char* id, int type) {
      return json{{"Sequence", {{"id", id}, {"type_id", type}}}};
    };
    post = {{"type", "TemplateProcessing"},
            {"single", {special_token(cls, 0), sequence("A", 0), special_token(sep, 0)}},
            {"pair",
             {special_token(cls, 0), sequence("A", 0), special_token(sep, 0), sequence("B", 1),
              special_token(sep, 1)}},
            {"special_tokens",
             {{cls, {{"id", cls}, {"ids", {special_.cls}}, {"tokens", {cls}}}},
              {sep, {{"id", sep}, {"ids", {special_.sep}}, {"tokens", {sep}}}}}}};
  }
  std::string out = "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":";
  out += added.dump();
  out += ",\"normalizer\":" + normalizer.dump();
  out += ",\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},\"post_processor\":" + post.dump();
  out += ",\"decoder\":{\"type\":\"WordPiece\",\"prefix\":" +
         quote(options_.continuing_subword_prefix) + ",\"cleanup\":true}";
  out += ",\"model\":{\"type\":\"WordPiece\",\"unk_token\":" + quote(options_.unk_token) +
         ",\"continuing_subword_prefix\":" + quote(options_.continuing_subword_prefix) +
         ",\"max_input_chars_per_word\":" + std::to_string(options_.max_input_chars_per_word) +
         ",\"vocab\":{";
  // Written by hand: a 30k-entry ordered_json object would be quadratic to build.
  const std::vector<std::string>& vocab = model_.vocab();
  for (size_t i = 0; i < vocab.size(); ++i) {
    if (i) out += ',';
    out += quote(vocab[i]);
    out += ':';
    out += std::to_string(i);
  }
  out += "}}}\n";
  return out;
}

void WordPieceTokenizer::save(const fs::path& dir) const {
  fs::create_directories(dir);
  std::string vocab_txt;
  for (const std::string& t : model_.vocab()) {
    if (t.find('\n') != std::string::npos)
      throw InputError("cannot save token '" + t + "' to vocab.txt: it contains a newline");
    vocab_txt += t;
    vocab_txt += '\n';
  }
  const BertNormalizerOptions& n = options_.normalizer;
  json names = {{"unk_token", options_.unk_token}};
  for (auto [key, value] : {std::pair{"cls_token", &options_.cls_token},
                            {"sep_token", &options_.sep_token},
                            {"pad_token", &options_.pad_token},
                            {"mask_token", &options_.mask_token}})
    if (token_to_id(*value) >= 0) names[key] = *value;
  json config = names;
  config["tokenizer_class"] = "BertTokenizer";
  config["do_lower_case"] = n.lowercase;
  config["strip_accents"] = n.strip_accents ? json(*n.strip_accents) : json();
  config["tokenize_chinese_chars"] = n.handle_chinese_chars;
  config["model_max_length"] = options_.model_max_length;
  config["clean_up_tokenization_spaces"] = true;

  write_file_atomic(dir / "vocab.txt", vocab_txt);
  write_file_atomic(dir / "special_tokens_map.json", names.dump(2) + "\n");
  write_file_atomic(dir / "tokenizer_config.json", config.dump(2) + "\n");
  write_file_atomic(dir / "tokenizer.json", to_tokenizer_json());
}

}  // namespace triage::data
