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
  // The text in UTF-8 (with the added space), and per byte the original range of its character:
  // the regex splits bytes, and each byte becomes one character of a piece.
  thread_local std::string bytes;
  thread_local std::vector<std::pair<uint32_t, uint32_t>> origin;
  thread_local std::vector<std::pair<size_t, size_t>> matches;
  bytes.clear();
  origin.clear();
  if (options.add_prefix_space && !in.chars.empty() && in.chars.front() != U' ') {
    bytes += ' ';
    origin.push_back(in.align.front());
  }
  for (size_t i = 0; i < in.chars.size(); ++i) {
    const size_t before = bytes.size();
    utf8::append(bytes, in.chars[i]);
    origin.insert(origin.end(), bytes.size() - before, in.align[i]);
  }
  const auto& table = byte_table();
  const auto emit = [&](size_t b, size_t e) {
    AlignedText piece;
    piece.chars.reserve(e - b);
    for (size_t i = b; i < e; ++i) piece.chars.push_back(table[static_cast<unsigned char>(bytes[i])]);
    piece.align.assign(origin.begin() + static_cast<std::ptrdiff_t>(b), origin.begin() + static_cast<std::ptrdiff_t>(e));
    out.push_back(std::move(piece));
  };
  if (!options.use_regex) {
    if (!bytes.empty()) emit(0, bytes.size());
    return;
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

}  // namespace triage::data
