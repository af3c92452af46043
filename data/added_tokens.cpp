// Leftmost-longest search for added tokens (see added_tokens.h). The pattern set is tiny
// (a handful of special tokens), so a first-code-point filter beats an automaton.
#include "data/added_tokens.h"

#include <algorithm>
#include <numeric>

#include "data/unicode/char_sets.h"

namespace triage::data {
namespace {

// The Rust regex crate's \s and \w, which tokenizers uses for lstrip/rstrip and single_word.
inline bool is_space(char32_t c) { return unicode::space_chars().contains(c); }
inline bool is_word_char(char32_t c) { return unicode::word_chars().contains(c); }

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(std::vector<std::u32string> patterns,
                                     std::vector<AddedToken> tokens) {
  std::vector<size_t> order(patterns.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return patterns[a].size() > patterns[b].size(); });
  for (size_t i : order) {
    if (patterns[i].empty()) continue;
    patterns_.push_back(patterns[i]);
    tokens_.push_back(tokens[i]);
    if (first_chars_.find(patterns[i][0]) == std::u32string::npos)
      first_chars_.push_back(patterns[i][0]);
  }
}

void AddedTokenMatcher::find(const char32_t* text, size_t n, std::vector<TokenMatch>& out) const {
  if (patterns_.empty()) return;
  size_t prev_stop = 0;
  size_t i = 0;
  while (i < n) {
    if (first_chars_.find(text[i]) == std::u32string::npos) {
      ++i;
      continue;
    }
    size_t hit = patterns_.size();
    for (size_t p = 0; p < patterns_.size(); ++p) {
      const std::u32string& pat = patterns_[p];
      if (pat.size() <= n - i && std::equal(pat.begin(), pat.end(), text + i)) {
        hit = p;  // longest first, so the first hit is the longest
        break;
      }
    }
    if (hit == patterns_.size()) {
      ++i;
      continue;
    }
    const AddedToken& tok = tokens_[hit];
    size_t start = i, stop = i + patterns_[hit].size();
    i = stop;  // the search resumes after this match even if it is rejected below
    if (tok.single_word) {
      const bool start_ok = start == 0 || !is_word_char(text[start - 1]);
      const bool stop_ok = stop == n || !is_word_char(text[stop]);
      if (!start_ok || !stop_ok) continue;
    }
    if (tok.lstrip) {
      size_t s = start;
      while (s > 0 && is_space(text[s - 1])) --s;
      start = std::max(s, prev_stop);
    }
    if (tok.rstrip) {
      while (stop < n && is_space(text[stop])) ++stop;
      i = stop;
    }
    out.push_back({start, stop, tok.id});
    prev_stop = stop;
  }
}

}  // namespace triage::data
