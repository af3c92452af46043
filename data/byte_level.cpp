// ByteLevel pre-tokenizer (see byte_level.h), after tokenizers' pre_tokenizers/byte_level.rs.
#include "data/byte_level.h"

#include <array>

#include "data/unicode/regex_classes.h"
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

// The classes of the GPT-2 pattern as the tokenizers wheel's Oniguruma has them
// (unicode/regex_classes.cpp), one byte per code point: L, N, \s.
enum : uint8_t { kL = 1, kN = 2, kS = 4 };

const std::vector<uint8_t>& gpt2_classes() {
  static const std::vector<uint8_t> table = [] {
    std::vector<uint8_t> t(0x110000, 0);
    for (const auto& c : unicode::regex_classes()) {
      const std::string name = c.name;
      const uint8_t bit = name == "L" ? kL : name == "N" ? kN : name == "s" ? kS : 0;
      if (!bit) continue;
      for (OnigCodePoint r = 0; r < c.ranges[0]; ++r)
        for (OnigCodePoint cp = c.ranges[1 + 2 * r]; cp <= c.ranges[2 + 2 * r]; ++cp) t[cp] |= bit;
    }
    return t;
  }();
  return table;
}

// End of the match of the GPT-2 pattern
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// that starts at t[i] (every position starts one: each character is a letter, a number,
// a space or none of those), with Oniguruma's leftmost-alternative backtracking written
// out: the optional space goes with a following run; a run of spaces followed by a
// non-space leaves its last space to that run.
size_t gpt2_match(const char32_t* t, size_t i, size_t n, const std::vector<uint8_t>& cls) {
  const auto is = [&](size_t k, uint8_t bit) { return (cls[t[k]] & bit) != 0; };
  const auto other = [&](size_t k) { return (cls[t[k]] & (kL | kN | kS)) == 0; };
  const auto run = [&](size_t j, auto pred) {
    while (j < n && pred(j)) ++j;
    return j;
  };
  const char32_t c = t[i];
  if (c == U'\'' && i + 1 < n) {
    const char32_t c1 = t[i + 1];
    if (c1 == U's' || c1 == U't' || c1 == U'm' || c1 == U'd') return i + 2;
    if (i + 2 < n) {
      const char32_t c2 = t[i + 2];
      if ((c1 == U'r' && c2 == U'e') || (c1 == U'v' && c2 == U'e') || (c1 == U'l' && c2 == U'l')) return i + 3;
    }
  }
  const size_t from = (c == U' ' && i + 1 < n) ? i + 1 : i;  // with the optional space
  if (is(from, kL)) return run(from, [&](size_t k) { return is(k, kL); });
  if (is(from, kN)) return run(from, [&](size_t k) { return is(k, kN); });
  if (other(from)) return run(from, other);
  // from == i (or a space before a space): a run of spaces
  const size_t end = run(i, [&](size_t k) { return is(k, kS); });
  if (end == n || end - i == 1) return end;
  return end - 1;
}

}  // namespace

char32_t byte_level_char(uint8_t b) { return byte_table()[b]; }

void byte_level_pre_tokenize(PreTokenized& s, const ByteLevelOptions& options) {
  // Per split: its text in UTF-8 (with the added space) and per byte the original range of
  // its character; the GPT-2 pattern cuts its characters, and each byte becomes one
  // character of a piece.
  thread_local std::string bytes;
  thread_local std::vector<CharRange32> origin;
  thread_local std::u32string chars;         // the piece's characters, with the added space
  thread_local std::vector<size_t> char_byte;  // where each starts in bytes, then bytes.size()
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
    chars.clear();
    char_byte.clear();
    if (options.add_prefix_space && s.text.chars[sp.begin] != U' ') {
      chars.push_back(U' ');
      char_byte.push_back(0);
      bytes += ' ';
      origin.push_back(s.text.align[sp.begin]);
    }
    for (size_t i = sp.begin; i < sp.end; ++i) {
      const size_t before = bytes.size();
      chars.push_back(s.text.chars[i]);
      char_byte.push_back(before);
      utf8::append(bytes, s.text.chars[i]);
      origin.insert(origin.end(), bytes.size() - before, s.text.align[i]);
    }
    char_byte.push_back(bytes.size());
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
    // the GPT-2 pattern's matches, which tile the piece, on its characters (with the added
    // space); each becomes the bytes of its characters
    const auto& cls = gpt2_classes();
    for (size_t i = 0; i < chars.size();) {
      const size_t e = gpt2_match(chars.data(), i, chars.size(), cls);
      emit(char_byte[i], char_byte[e]);
      i = e;
    }
  }
  std::swap(s.text, next.text);
  std::swap(s.splits, next.splits);
}

}  // namespace triage::data
