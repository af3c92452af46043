// The pre-tokenizers of a tokenizer.json (tokenizers' pre_tokenizers/*.rs): BertPreTokenizer,
// ByteLevel, Metaspace, Whitespace, WhitespaceSplit, Punctuation, Digits, Split, Sequence.
// Each cuts the splits of a PreTokenized that are not added tokens; ByteLevel and Metaspace
// also change characters. Torch-free.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "data/pre_tokenized.h"

namespace triage::data {

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual void pre_tokenize(PreTokenized& s) const = 0;
  // ByteLevel's add_prefix_space where this is (or holds) one, for RoBERTa's rule that
  // pre-split words need it; nullopt otherwise.
  virtual std::optional<bool> byte_level_prefix_space() const { return std::nullopt; }
};

// The "pre_tokenizer" value of a tokenizer.json (null: none, returns nullptr); `where` is
// its JSON path with the file. InputError for an unknown type or option.
std::unique_ptr<PreTokenizer> parse_pre_tokenizer(const nlohmann::json& j, const std::string& where);

// "removed", "isolated", ... (tokenizers' SplitDelimiterBehavior names); InputError naming
// `where` otherwise.
SplitBehavior parse_split_behavior(const nlohmann::json& j, const std::string& where);

}  // namespace triage::data
