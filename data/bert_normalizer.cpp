// BertNormalizer: one pass per code point (clean -> chinese -> strip accents -> lowercase),
// matching HF tokenizers' order of operations; the Unicode data is in unicode/tables.cpp.
#include "data/bert_normalizer.h"

#include "data/unicode/tables.h"

namespace triage::data {
namespace {

// Strip accents and lowercase one code point that survived cleaning.
inline void finish(const BertNormalizerOptions& o, bool strip, char32_t cp, int32_t orig,
                   std::vector<NormChar>& out) {
  char32_t buf[4];
  size_t n = 1;
  buf[0] = cp;
  if (strip) {
    const uint8_t f = unicode::flags(cp);
    if (f & unicode::kDecomp) {
      char32_t d[4];
      const size_t dn = unicode::decomposition(cp, d);
      n = 0;
      for (size_t i = 0; i < dn; ++i)
        if (!(unicode::flags(d[i]) & unicode::kNonspacing)) buf[n++] = d[i];
    } else if (f & unicode::kNonspacing) {
      return;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (o.lowercase && (unicode::flags(buf[i]) & unicode::kLower)) {
      char32_t lo[3];
      const size_t ln = unicode::lowercase(buf[i], lo);
      for (size_t k = 0; k < ln; ++k) out.push_back({lo[k], orig});
    } else {
      out.push_back({buf[i], orig});
    }
  }
}

}  // namespace

void bert_normalize(const BertNormalizerOptions& o, const char32_t* cps, size_t begin,
                    size_t end, std::vector<NormChar>& out) {
  const bool strip = o.strips();
  for (size_t i = begin; i < end; ++i) {
    char32_t cp = cps[i];
    const int32_t orig = static_cast<int32_t>(i);
    if (cp < 128) {  // fast path: only cleaning and ASCII lowercasing apply
      const uint8_t f = unicode::detail::kAsciiFlags[cp];
      if (o.clean_text) {
        if (f & unicode::kRemove) continue;
        if (f & unicode::kCleanSpace) cp = ' ';
      }
      if (o.lowercase && cp >= 'A' && cp <= 'Z') cp += 32;
      out.push_back({cp, orig});
      continue;
    }
    const uint8_t f = unicode::flags(cp);
    if (o.clean_text) {
      if (f & unicode::kRemove) continue;
      if (f & unicode::kCleanSpace) {
        out.push_back({U' ', orig});
        continue;
      }
    }
    if (o.handle_chinese_chars && (f & unicode::kCjk)) {
      out.push_back({U' ', orig});
      finish(o, strip, cp, orig, out);
      out.push_back({U' ', orig});
      continue;
    }
    finish(o, strip, cp, orig, out);
  }
}

std::u32string bert_normalize(const BertNormalizerOptions& options, std::u32string_view text) {
  std::vector<NormChar> out;
  bert_normalize(options, text.data(), 0, text.size(), out);
  std::u32string s;
  s.reserve(out.size());
  for (const NormChar& c : out) s.push_back(c.cp);
  return s;
}

}  // namespace triage::data
