// The pattern of a tokenizer.json Split pre-tokenizer or Replace normalizer: {"String": s}
// (the literal s, leftmost non-overlapping occurrences) or {"Regex": r} (Oniguruma, see
// regex.h). Torch-free.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "data/pre_tokenized.h"
#include "data/regex.h"

namespace triage::data {

class TextPattern {
 public:
  // j is the "pattern" value; `where` its JSON path with the file, for errors.
  TextPattern(const nlohmann::json& j, const std::string& where);

  // The matches in chars[0, n) and the gaps between them, covering [0, n) (tokenizers'
  // Pattern::find_matches; empty text: one non-match (0, 0)); cleared first.
  void find(const char32_t* chars, size_t n, std::vector<MatchRange>& out) const;

 private:
  std::u32string literal_;        // used when regex_ is null
  std::unique_ptr<Regex> regex_;  // {"Regex": ...}, or an empty literal
};

}  // namespace triage::data
