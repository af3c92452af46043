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

std::pair<uint32_t, uint32_t> AlignedText::original(size_t b, size_t e) const {
  if (align.empty()) return {0, 0};
  if (b >= e) {
    const uint32_t at = b < align.size() ? align[b].first : align.back().second;
    return {at, at};
  }
  return {align[b].first, align[e - 1].second};
}

void byte_level_pre_tokenize(const AlignedText& in, const ByteLevelOptions& options, std::vector<AlignedText>& out) {
  thread_local AlignedText text;
  thread_local std::string utf8_text;
  thread_local std::vector<uint32_t> char_at;  // byte offset -> character index
  thread_local std::vector<std::pair<size_t, size_t>> matches;
  text = in;
  if (options.add_prefix_space && !text.chars.empty() && text.chars.front() != U' ') {
    text.chars.insert(text.chars.begin(), U' ');
    text.align.insert(text.align.begin(), text.align.front());
  }
  utf8_text.clear();
  char_at.clear();
  for (size_t i = 0; i < text.chars.size(); ++i) {
    const size_t before = utf8_text.size();
    utf8::append(utf8_text, text.chars[i]);
    char_at.insert(char_at.end(), utf8_text.size() - before, static_cast<uint32_t>(i));
  }
  char_at.push_back(static_cast<uint32_t>(text.chars.size()));
  // pieces as [begin, end) characters: the matches and the gaps between them ("isolated")
  std::vector<std::pair<size_t, size_t>> pieces;
  if (options.use_regex) {
    matches.clear();
    gpt2_pattern().find_all(utf8_text, matches);
    size_t prev = 0;
    for (const auto& [b, e] : matches) {
      if (prev != b) pieces.emplace_back(char_at[prev], char_at[b]);
      if (e > b) pieces.emplace_back(char_at[b], char_at[e]);
      prev = e;
    }
    if (prev != utf8_text.size()) pieces.emplace_back(char_at[prev], char_at[utf8_text.size()]);
  } else if (!text.chars.empty()) {
    pieces.emplace_back(0, text.chars.size());
  }
  const auto& table = byte_table();
  std::string bytes;
  for (const auto& [b, e] : pieces) {
    AlignedText piece;
    for (size_t i = b; i < e; ++i) {
      bytes.clear();
      utf8::append(bytes, text.chars[i]);
      for (unsigned char c : bytes) {
        piece.chars.push_back(table[c]);
        piece.align.push_back(text.align[i]);
      }
    }
    out.push_back(std::move(piece));
  }
}

}  // namespace triage::data
