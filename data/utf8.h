// Strict UTF-8 decoding and encoding: the tokenizers take UTF-8 in and report offsets in
// code points, so invalid input (overlong forms, surrogates, truncated sequences, values
// past U+10FFFF) is rejected with an InputError naming the byte offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace triage::data::utf8 {

// Decodes the whole text into code points (appended to out after clearing it).
// Throws InputError on invalid UTF-8.
void decode(std::string_view text, std::vector<char32_t>& out);

// Byte offset of every code point plus one final entry == text.size() (cleared first).
// Throws InputError on invalid UTF-8.
void code_point_starts(std::string_view text, std::vector<uint32_t>& out);

// Length of the UTF-8 sequence that starts with `lead` (1 for a byte that cannot start one,
// so that a scan over unchecked text always advances).
inline size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

// Appends the UTF-8 encoding of cp (assumed valid) to out.
inline void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

inline std::string encode(std::u32string_view cps) {
  std::string out;
  out.reserve(cps.size());
  for (char32_t c : cps) append(out, c);
  return out;
}

// True when the text is valid UTF-8.
bool valid(std::string_view text);
// Byte offset of the first byte that is not part of well-formed UTF-8; text.size() when
// all of it is.
size_t first_invalid(std::string_view text);

}  // namespace triage::data::utf8
