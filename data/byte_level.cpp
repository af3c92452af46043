// ByteLevel pre-tokenizer (see byte_level.h), after tokenizers' pre_tokenizers/byte_level.rs.
#include "data/byte_level.h"

#include <array>

#include "data/regex.h"
#include "data/utf8.h"

namespace triage::data {

namespace {

const std::array<char32_t, 256>& byte_table() {
  static const std::array<char32_t, 256> table = [] {
    std::array<char32_t, 256> t{};
    std::array<bool, 256> direct{};
    for (int b = '!'; b <= '~'; ++b) direct[b] = true;
    for (int b = 0xA1; b <= 0xAC; ++b) direct[b] = true;
    for (int b = 0xAE; b <= 0xFF; ++b) direct[b] = true;
    char32_t n = 0;
    for (int b = 0; b < 256; ++b) t[b] = direct[b] ? static_cast<char32_t>(b) : 256 + n++;
    return t;
  }();
  return table;
}

const Regex& gpt2_pattern() {
  static const Regex re(R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)",
                        "the ByteLevel pre-tokenizer's GPT-2 pattern");
  return re;
}

}  // namespace

char32_t byte_level_char(uint8_t b) { return byte_table()[b]; }

void byte_level_pre_tokenize(PreTokenized& s, const ByteLevelOptions& options) {
  // Per split: its text in UTF-8 (with the added space) and per byte the original range of
  // its character; the regex splits bytes, and each byte becomes one character of a piece.
  thread_local std::string bytes;
  thread_local std::vector<CharRange32> origin;
  thread_local std::vector<std::pair<size_t, size_t>> matches;
  thread_local PreTokenized next;
  next.clear();
  const auto& table = byte_table();
  for (const Split& sp : s.splits) {
    if (sp.added_id >= 0) {
      const uint32_t at = static_cast<uint32_t>(next.text.size());
      next.text.append(s.text, sp.begin, sp.end);
      next.splits.push_back({at, static_cast<uint32_t>(next.text.size()), sp.added_id});
      continue;
    }
    bytes.clear();
    origin.clear();
    if (options.add_prefix_space && s.text.chars[sp.begin] != U' ') {
      bytes += ' ';
      origin.push_back(s.text.align[sp.begin]);
    }
    for (size_t i = sp.begin; i < sp.end; ++i) {
      const size_t before = bytes.size();
      utf8::append(bytes, s.text.chars[i]);
      origin.insert(origin.end(), bytes.size() - before, s.text.align[i]);
    }
    const auto emit = [&](size_t b, size_t e) {
      const uint32_t at = static_cast<uint32_t>(next.text.size());
      for (size_t i = b; i < e; ++i)
        next.text.push(table[static_cast<unsigned char>(bytes[i])], origin[i]);
      next.splits.push_back({at, static_cast<uint32_t>(next.text.size()), -1});
    };
    if (!options.use_regex) {
      emit(0, bytes.size());
      continue;
    }
    // the matches and the gaps between them ("isolated")
    matches.clear();
    gpt2_pattern().find_all(bytes, matches);
    size_t prev = 0;
    for (const auto& [b, e] : matches) {
      if (prev != b) emit(prev, b);
      if (e > b) emit(b, e);
      prev = e;
    }
    if (prev != bytes.size()) emit(prev, bytes.size());
  }
  std::swap(s.text, next.text);
  std::swap(s.splits, next.splits);
}

}  // namespace triage::data
