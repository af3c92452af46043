// Character predicates of tokenizer.json stages that test one character at a time (the
// Rust regex crate's \w and \s, char::is_numeric, is_combining_mark), as sorted code-point
// ranges generated from the tokenizers library by gen_char_sets.py.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>

namespace triage::data::unicode {

class CharSet {
 public:
  struct Range {
    char32_t first;
    char32_t last;  // inclusive
  };
  CharSet(const Range* ranges, size_t n) : ranges_(ranges), n_(n) {
    for (char32_t c = 0; c < 128; ++c) ascii_[c] = lookup(c);
  }
  bool contains(char32_t c) const { return c < 128 ? ascii_[c] : lookup(c); }

 private:
  bool lookup(char32_t c) const {
    const Range* end = ranges_ + n_;
    const Range* it = std::upper_bound(ranges_, end, c, [](char32_t v, const Range& r) { return v < r.first; });
    return it != ranges_ && c <= (it - 1)->last;
  }
  const Range* ranges_;
  size_t n_;
  std::array<bool, 128> ascii_{};
};

const CharSet& word_chars();     // \w of the Rust regex crate
const CharSet& space_chars();    // \s of the Rust regex crate
const CharSet& numeric_chars();  // char::is_numeric
const CharSet& mark_chars();     // is_combining_mark (general category M)

}  // namespace triage::data::unicode
