// BertNormalizer: one pass per code point (clean -> chinese -> strip accents -> lowercase),
// matching HF tokenizers' order of operations; the Unicode data is in unicode/tables.cpp.
#include "data/bert_normalizer.h"

#include <algorithm>

#include "data/unicode/normalization.h"
#include "data/unicode/tables.h"

namespace triage::data {
namespace {

void lowercase_into(const BertNormalizerOptions& o, char32_t cp, int32_t orig, std::vector<NormChar>& out) {
  if (o.lowercase && (unicode::flags(cp) & unicode::kLower)) {
    char32_t lo[3];
    const size_t ln = unicode::lowercase(cp, lo);
    for (size_t k = 0; k < ln; ++k) out.push_back({lo[k], orig});
  } else {
    out.push_back({cp, orig});
  }
}

// Strip accents and lowercase one code point that survived cleaning. `last_class` is the
// combining class of the previous decomposed code point; false when this one's marks would
// be reordered by NFD (then the caller takes the exact path).
inline bool finish(const BertNormalizerOptions& o, bool strip, char32_t cp, int32_t orig, uint8_t& last_class,
                   std::vector<NormChar>& out) {
  char32_t buf[4];
  size_t n = 1;
  buf[0] = cp;
  if (strip) {
    char32_t d[4];
    const uint8_t f = unicode::flags(cp);
    const size_t dn = (f & unicode::kDecomp) ? unicode::decomposition(cp, d) : 0;
    if (dn == 0) d[0] = cp;
    for (size_t i = 0; i < std::max<size_t>(dn, 1); ++i) {
      const uint8_t cls = d[i] < 0x300 ? 0 : unicode::combining_class(d[i]);
      if (cls != 0 && last_class > cls) return false;
      last_class = cls;
    }
    if (dn) {
      n = 0;
      for (size_t i = 0; i < dn; ++i)
        if (!(unicode::flags(d[i]) & unicode::kNonspacing)) buf[n++] = d[i];
    } else if (f & unicode::kNonspacing) {
      return true;
    }
  }
  for (size_t i = 0; i < n; ++i) lowercase_into(o, buf[i], orig, out);
  return true;
}

// The exact sequence of tokenizers' transforms over the whole text, for a text whose NFD
// reorders marks (which then take the ranges of the positions they move to): clean and
// pad CJK, NFD (unicode/normalization.h), drop Mn, lowercase.
void normalize_reordering(const BertNormalizerOptions& o, const char32_t* cps, size_t begin, size_t end,
                          std::vector<NormChar>& out) {
  std::vector<NormChar> cleaned;
  for (size_t i = begin; i < end; ++i) {
    const char32_t cp = cps[i];
    const int32_t orig = static_cast<int32_t>(i);
    const uint8_t f = unicode::flags(cp);
    if (o.clean_text && (f & unicode::kRemove)) continue;
    if (o.clean_text && (f & unicode::kCleanSpace)) {
      cleaned.push_back({U' ', orig});
    } else if (o.handle_chinese_chars && (f & unicode::kCjk)) {
      cleaned.insert(cleaned.end(), {{U' ', orig}, {cp, orig}, {U' ', orig}});
    } else {
      cleaned.push_back({cp, orig});
    }
  }
  std::u32string chars;
  for (const NormChar& c : cleaned) chars.push_back(c.cp);
  std::vector<CharChange> changes;
  unicode::normalize(unicode::NormalForm::NFD, chars.data(), chars.size(), changes);
  size_t at = 0;
  for (const CharChange& ch : changes) {
    const int32_t orig = ch.change > 0 ? cleaned[std::min(at, cleaned.size()) - 1].orig : cleaned[at].orig;
    if (ch.change <= 0) at += 1 + static_cast<size_t>(-ch.change);
    if (unicode::flags(ch.c) & unicode::kNonspacing) continue;
    lowercase_into(o, ch.c, orig, out);
  }
}

}  // namespace

void bert_normalize(const BertNormalizerOptions& o, const char32_t* cps, size_t begin,
                    size_t end, std::vector<NormChar>& out) {
  const bool strip = o.strips();
  const size_t start = out.size();
  uint8_t last_class = 0;
  for (size_t i = begin; i < end; ++i) {
    char32_t cp = cps[i];
    const int32_t orig = static_cast<int32_t>(i);
    if (cp < 128) {  // fast path: only cleaning and ASCII lowercasing apply
      const uint8_t f = unicode::detail::kAsciiFlags[cp];
      last_class = 0;
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
        last_class = 0;
        continue;
      }
    }
    bool in_order;
    if (o.handle_chinese_chars && (f & unicode::kCjk)) {
      out.push_back({U' ', orig});
      in_order = finish(o, strip, cp, orig, last_class, out);
      out.push_back({U' ', orig});
      last_class = 0;
    } else {
      in_order = finish(o, strip, cp, orig, last_class, out);
    }
    if (!in_order) {
      out.resize(start);
      normalize_reordering(o, cps, begin, end, out);
      return;
    }
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
