// Regular expressions with the semantics of Hugging Face tokenizers: Oniguruma (the engine
// the `tokenizers` Rust crate uses through the onig crate), Ruby syntax, UTF-8, no options.
// Chosen over PCRE2 (also in Debian) because it is the same engine: \p{L}, \p{N}, look-ahead
// and leftmost alternation then behave identically. The character classes (\p{L}, \p{N}, \w,
// \s, ...) are not Debian's Oniguruma tables (Unicode 14) but those of the tokenizers wheel
// (newer Unicode), probed into data/unicode/regex_classes.cpp and registered as user
// properties that patterns are rewritten to use. Thread-safe after construction (each search
// uses its own region). Torch-free.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace triage::data {

class Regex {
 public:
  // Throws InputError "<where>: invalid regular expression '<pattern>': <reason>".
  Regex(std::string_view pattern, const std::string& where);
  ~Regex();
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Every non-overlapping match in `text` (valid UTF-8), left to right, as [begin, end) byte
  // ranges; an empty match advances by one character, as onig's find_iter does.
  void find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const;
  const std::string& pattern() const { return pattern_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string pattern_;
};

}  // namespace triage::data
