// Strict UTF-8 decoder shared by the tokenizers (see utf8.h for the contract).
#include "data/utf8.h"

#include "core/error.h"

namespace triage::data::utf8 {
namespace {

[[noreturn]] void fail(size_t pos, const char* what) {
  throw InputError("invalid UTF-8 at byte " + std::to_string(pos) + ": " + what);
}

// Decodes one code point starting at text[i] (not ASCII); returns its length in bytes.
// Tables per Unicode 15 §3.9, Table 3-7 (well-formed UTF-8 byte sequences).
inline size_t decode_multi(std::string_view text, size_t i, char32_t& cp, bool& ok) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  const unsigned char b0 = s[i];
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;  // nothing past U+10FFFF
  } else {
    ok = false;
    return 1;
  }
  if (i + len > n) {
    ok = false;
    return 1;
  }
  for (size_t k = 1; k < len; ++k) {
    const unsigned char b = s[i + k];
    if (b < lo || b > hi) {
      ok = false;
      return 1;
    }
    lo = 0x80;
    hi = 0xBF;
    cp = (cp << 6) | (b & 0x3F);
  }
  ok = true;
  return len;
}

}  // namespace

void decode(std::string_view text, std::vector<char32_t>& out) {
  out.clear();
  out.reserve(text.size());
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = 0;
  while (i < text.size()) {
    if (s[i] < 0x80) {
      out.push_back(s[i++]);
      continue;
    }
    char32_t cp;
    bool ok;
    const size_t len = decode_multi(text, i, cp, ok);
    if (!ok) fail(i, "malformed or truncated sequence");
    out.push_back(cp);
    i += len;
  }
}

void code_point_starts(std::string_view text, std::vector<uint32_t>& out) {
  out.clear();
  out.reserve(text.size() + 1);
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = 0;
  while (i < text.size()) {
    out.push_back(static_cast<uint32_t>(i));
    if (s[i] < 0x80) {
      ++i;
      continue;
    }
    char32_t cp;
    bool ok;
    const size_t len = decode_multi(text, i, cp, ok);
    if (!ok) fail(i, "malformed or truncated sequence");
    i += len;
  }
  out.push_back(static_cast<uint32_t>(text.size()));
}

size_t first_invalid(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = 0;
  while (i < text.size()) {
    if (s[i] < 0x80) {
      ++i;
      continue;
    }
    char32_t cp;
    bool ok;
    const size_t len = decode_multi(text, i, cp, ok);
    if (!ok) return i;
    i += len;
  }
  return text.size();
}

bool valid(std::string_view text) { return first_invalid(text) == text.size(); }

}  // namespace triage::data::utf8
