// Split / Replace patterns (see text_pattern.h), after tokenizers' tokenizer/pattern.rs.
#include "data/text_pattern.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/utf8.h"

namespace triage::data {

TextPattern::TextPattern(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object() || j.size() != 1 || !j.begin().value().is_string() ||
      (!j.contains("String") && !j.contains("Regex")))
    throw InputError(where + ": expected {\"String\": \"...\"} or {\"Regex\": \"...\"}, found " +
                     j.dump().substr(0, 120));
  const std::string value = j.begin().value().get<std::string>();
  if (!utf8::valid(value)) throw InputError(where + ": not valid UTF-8");
  if (j.contains("Regex")) {
    regex_ = std::make_unique<Regex>(value, where);
  } else if (value.empty()) {
    regex_ = std::make_unique<Regex>("", where);  // matches the empty string everywhere
  } else {
    std::vector<char32_t> cps;
    utf8::decode(value, cps);
    literal_.assign(cps.begin(), cps.end());
  }
}

void TextPattern::find(const char32_t* chars, size_t n, std::vector<MatchRange>& out) const {
  out.clear();
  if (n == 0) {
    out.push_back({0, 0, false});
    return;
  }
  uint32_t prev = 0;
  const auto add = [&](uint32_t b, uint32_t e) {
    if (prev != b) out.push_back({prev, b, false});
    out.push_back({b, e, true});
    prev = e;
  };
  if (!regex_) {
    const std::u32string_view text(chars, n);
    for (size_t at = text.find(literal_); at != std::u32string_view::npos;
         at = text.find(literal_, at + literal_.size()))
      add(static_cast<uint32_t>(at), static_cast<uint32_t>(at + literal_.size()));
  } else {
    thread_local std::string bytes;
    thread_local std::vector<uint32_t> char_at;  // byte offset -> character index
    thread_local std::vector<std::pair<size_t, size_t>> matches;
    bytes.clear();
    char_at.clear();
    for (size_t i = 0; i < n; ++i) {
      const size_t before = bytes.size();
      utf8::append(bytes, chars[i]);
      char_at.insert(char_at.end(), bytes.size() - before, static_cast<uint32_t>(i));
    }
    char_at.push_back(static_cast<uint32_t>(n));
    matches.clear();
    regex_->find_all(bytes, matches);
    for (const auto& [b, e] : matches) add(char_at[b], char_at[e]);
  }
  if (prev != n) out.push_back({prev, static_cast<uint32_t>(n), false});
}

}  // namespace triage::data
