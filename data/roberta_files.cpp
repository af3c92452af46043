// vocab.json + merges.txt -> tokenizer.json (see roberta_files.h), after transformers'
// models/roberta/tokenization_roberta.py.
#include "data/roberta_files.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file_io.h"

namespace triage::data {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A special token of tokenizer_config.json: its name, and its AddedToken flags when given as
// an object.
json added_token(const json& config, const char* key, const char* fallback, const json& vocab) {
  json t = {{"content", fallback}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
            {"normalized", false}, {"special", true}};
  if (auto it = config.find(key); it != config.end()) {
    if (it->is_string()) {
      t["content"] = *it;
    } else if (it->is_object() && it->contains("content")) {
      for (const char* flag : {"content", "single_word", "lstrip", "rstrip", "normalized"})
        if (it->contains(flag)) t[flag] = (*it)[flag];
    }
  }
  const auto id = vocab.find(t["content"].get<std::string>());
  if (id == vocab.end()) return json();
  t["id"] = *id;
  return t;
}

}  // namespace

std::string roberta_tokenizer_json(const fs::path& dir) {
  const fs::path config_file = dir / "tokenizer_config.json";
  const json config = fs::exists(config_file) ? read_json_file(config_file) : json::object();
  if (!config.is_object()) throw InputError(config_file.string() + ": expected a JSON object");
  const std::string cls = config.value("tokenizer_class", "RobertaTokenizer");
  if (cls.rfind("Roberta", 0) != 0)
    throw InputError(config_file.string() + ": tokenizer_class '" + cls +
                     "' with vocab.json + merges.txt and no tokenizer.json is not supported (RoBERTa's "
                     "files are); save the tokenizer with save_pretrained, which writes tokenizer.json");
  const fs::path vocab_file = dir / "vocab.json";
  const json vocab = read_json_file(vocab_file);
  if (!vocab.is_object()) throw InputError(vocab_file.string() + ": expected an object of token -> id");

  const fs::path merges_file = dir / "merges.txt";
  const std::string text = read_file(merges_file);
  json merges = json::array();
  size_t pos = 0, line = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string m = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line;
    if (!m.empty() && m.back() == '\r') m.pop_back();
    if (m.empty() || (line == 1 && m.rfind("#version", 0) == 0)) continue;
    const size_t sp = m.find(' ');
    if (sp == std::string::npos || m.find(' ', sp + 1) != std::string::npos)
      throw InputError(merges_file.string() + ":" + std::to_string(line) + ": expected \"left right\", found '" + m + "'");
    merges.push_back(m);
  }

  const bool prefix = config.value("add_prefix_space", false);
  const bool trim = config.value("trim_offsets", true);
  json added = json::array();
  if (auto it = config.find("added_tokens_decoder"); it != config.end() && it->is_object()) {
    for (auto t = it->begin(); t != it->end(); ++t) {
      json a = t.value();
      a["id"] = std::stoi(t.key());
      a.erase("__type");
      added.push_back(a);
    }
  } else {
    for (auto [key, fallback] : {std::pair{"bos_token", "<s>"}, {"pad_token", "<pad>"}, {"eos_token", "</s>"},
                                 {"unk_token", "<unk>"}, {"sep_token", "</s>"}, {"cls_token", "<s>"},
                                 {"mask_token", "<mask>"}}) {
      json a = added_token(config, key, fallback, vocab);
      bool seen = a.is_null();
      for (const json& b : added) seen = seen || b["content"] == a["content"];
      if (!seen) added.push_back(a);
    }
  }
  const auto special_id = [&](const char* key, const char* fallback) {
    const json a = added_token(config, key, fallback, vocab);
    return a.is_null() ? json() : json::array({a["content"], a["id"]});
  };
  const json cls_tok = special_id("cls_token", "<s>"), sep_tok = special_id("sep_token", "</s>");
  json post;
  if (!cls_tok.is_null() && !sep_tok.is_null())
    post = {{"type", "RobertaProcessing"}, {"sep", sep_tok}, {"cls", cls_tok},
            {"trim_offsets", trim}, {"add_prefix_space", prefix}};
  const json j = {
      {"version", "1.0"}, {"truncation", nullptr}, {"padding", nullptr}, {"added_tokens", added},
      {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", prefix}, {"trim_offsets", true}, {"use_regex", true}}},
      {"post_processor", post},
      {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
      {"model", {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", ""},
                 {"end_of_word_suffix", ""}, {"fuse_unk", false}, {"byte_fallback", false}, {"ignore_merges", false},
                 {"vocab", vocab}, {"merges", merges}}}};
  return j.dump();
}

}  // namespace triage::data
