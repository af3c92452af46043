// Extended grapheme cluster boundaries (see graphemes.h).
#include "data/unicode/graphemes.h"

#include <algorithm>
#include <array>

namespace triage::data::unicode {
namespace {

uint8_t search(char32_t c) {
  const auto* end = detail::kGraphemeRuns + detail::kGraphemeRunCount;
  const auto* it = std::upper_bound(detail::kGraphemeRuns, end, c,
                                    [](char32_t v, const detail::GraphemeRun& r) { return v < r.first; });
  return it == detail::kGraphemeRuns ? 0 : (it - 1)->value;
}

// below the combining marks (U+0300), from a table
constexpr char32_t kTabled = 0x300;
uint8_t lookup(char32_t c) {
  static const auto table = [] {
    std::array<uint8_t, kTabled> t{};
    for (char32_t k = 0; k < kTabled; ++k) t[k] = search(k);
    return t;
  }();
  return c < kTabled ? table[c] : search(c);
}

}  // namespace

GraphemeBreak grapheme_break(char32_t c) { return static_cast<GraphemeBreak>(lookup(c) & 0x7F); }
bool extended_pictographic(char32_t c) { return (lookup(c) & 0x80) != 0; }

size_t grapheme_end(const char32_t* chars, size_t begin, size_t n) {
  using B = GraphemeBreak;
  const uint8_t first = lookup(chars[begin]);
  B prev = static_cast<B>(first & 0x7F);
  bool pict = (first & 0x80) != 0;  // Extended_Pictographic Extend* so far
  bool pict_zwj = false;                             // ... followed by ZWJ
  size_t regional = prev == B::RegionalIndicator ? 1 : 0;
  size_t i = begin + 1;
  for (; i < n; ++i) {
    const uint8_t p = lookup(chars[i]);
    const B cur = static_cast<B>(p & 0x7F);
    const bool cur_pict = (p & 0x80) != 0;
    bool join;
    if (prev == B::CR && cur == B::LF) join = true;                                        // GB3
    else if (prev == B::CR || prev == B::LF || prev == B::Control) join = false;          // GB4
    else if (cur == B::CR || cur == B::LF || cur == B::Control) join = false;             // GB5
    else if (prev == B::L && (cur == B::L || cur == B::V || cur == B::LV || cur == B::LVT)) join = true;  // GB6
    else if ((prev == B::LV || prev == B::V) && (cur == B::V || cur == B::T)) join = true;  // GB7
    else if ((prev == B::LVT || prev == B::T) && cur == B::T) join = true;                // GB8
    else if (cur == B::Extend || cur == B::ZWJ || cur == B::SpacingMark) join = true;     // GB9, GB9a
    else if (prev == B::Prepend) join = true;                                             // GB9b
    else if (prev == B::ZWJ && cur_pict && pict_zwj) join = true;                         // GB11
    else if (prev == B::RegionalIndicator && cur == B::RegionalIndicator) join = regional % 2 == 1;  // GB12, GB13
    else join = false;                                                                    // GB999
    if (!join) break;
    pict_zwj = pict && cur == B::ZWJ;
    pict = (pict && cur == B::Extend) || cur_pict;
    regional = cur == B::RegionalIndicator ? regional + 1 : 0;
    prev = cur;
  }
  return i;
}

}  // namespace triage::data::unicode
