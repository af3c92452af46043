// BertNormalizer as in Hugging Face tokenizers: clean_text, handle_chinese_chars,
// strip_accents (NFD then drop Mn), lowercase (Rust char::to_lowercase, may expand). Every
// normalized code point remembers the original code point it came from, for offsets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace triage::data {

struct BertNormalizerOptions {
  bool clean_text = true;            // drop control chars, map whitespace to ' '
  bool handle_chinese_chars = true;  // surround CJK ideographs with spaces
  std::optional<bool> strip_accents;  // unset: follow lowercase (as HF does)
  bool lowercase = true;
  bool strips() const { return strip_accents.value_or(lowercase); }
};

struct NormChar {
  char32_t cp;
  int32_t orig;  // index of the original code point this one came from
};

// Normalizes cps[begin, end) and appends the result to out (not cleared).
void bert_normalize(const BertNormalizerOptions& options, const char32_t* cps, size_t begin,
                    size_t end, std::vector<NormChar>& out);

// Convenience for whole strings (added-token contents, tests).
std::u32string bert_normalize(const BertNormalizerOptions& options, std::u32string_view text);

}  // namespace triage::data
