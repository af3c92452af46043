// Added tokens ([CLS], [SEP], user-added words) found in the text before the model sees it,
// as HF tokenizers' AddedVocabulary does: leftmost-longest matching, non-overlapping, with
// the single_word / lstrip / rstrip options. Tokens with normalized=false are matched in the
// raw text, the others in the normalized text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace triage::data {

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = true;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
};

struct TokenMatch {
  size_t begin;  // [begin, end) in the searched code points, lstrip/rstrip applied
  size_t end;
  int32_t id;
};

class AddedTokenMatcher {
 public:
  AddedTokenMatcher() = default;
  // patterns[i] is what to search for (already normalized when needed) for tokens[i].
  AddedTokenMatcher(std::vector<std::u32string> patterns, std::vector<AddedToken> tokens);
  bool empty() const { return patterns_.empty(); }
  // Appends the matches in text[0, n) to out, in order.
  void find(const char32_t* text, size_t n, std::vector<TokenMatch>& out) const;

 private:
  std::vector<std::u32string> patterns_;  // sorted longest first
  std::vector<AddedToken> tokens_;        // parallel to patterns_
  std::u32string first_chars_;            // first code point of every pattern
};

}  // namespace triage::data
