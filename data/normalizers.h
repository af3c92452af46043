// The normalizers of a tokenizer.json, with tokenizers' alignment rules (pre_tokenized.h):
// BertNormalizer, NFC / NFD / NFKC / NFKD, Lowercase, Strip, StripAccents, Replace, Prepend,
// Nmt, Precompiled and Sequence. Torch-free.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "data/pre_tokenized.h"

namespace triage::data {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(AlignedText& text) const = 0;
};

// The "normalizer" value of a tokenizer.json (null: none, returns nullptr); `where` is its
// JSON path with the file. InputError for an unknown type or option, naming the supported
// ones.
std::unique_ptr<Normalizer> parse_normalizer(const nlohmann::json& j, const std::string& where);

}  // namespace triage::data
