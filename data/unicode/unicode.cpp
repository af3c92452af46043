// Lookups over the generated Unicode tables (tables.cpp): flags by binary search over
// ranges, decomposition and lowercase mappings by binary search over sorted code points.
#include <algorithm>

#include "data/unicode/tables.h"

namespace triage::data::unicode {
namespace detail {

uint8_t lookup_flags(char32_t cp) {
  const Range* end = kRanges + kRangeCount;
  const Range* it = std::upper_bound(kRanges, end, cp,
                                     [](char32_t c, const Range& r) { return c < r.first; });
  return it == kRanges ? 0 : (it - 1)->flags;
}

namespace {
size_t find_mapping(const Mapping* table, size_t count, const char32_t* pool, char32_t cp,
                    char32_t* out) {
  const Mapping* end = table + count;
  const Mapping* it =
      std::lower_bound(table, end, cp, [](const Mapping& m, char32_t c) { return m.cp < c; });
  if (it == end || it->cp != cp) return 0;
  std::copy_n(pool + it->offset, it->size, out);
  return it->size;
}
}  // namespace
}  // namespace detail

size_t decomposition(char32_t cp, char32_t* out) {
  constexpr char32_t kS = 0xAC00, kCount = 11172;
  if (cp >= kS && cp < kS + kCount) {  // Hangul syllables: algorithmic, as in UAX #15
    const char32_t s = cp - kS;
    out[0] = 0x1100 + s / 588;
    out[1] = 0x1161 + (s % 588) / 28;
    if (s % 28 == 0) return 2;
    out[2] = 0x11A7 + s % 28;
    return 3;
  }
  return detail::find_mapping(detail::kDecomp, detail::kDecompCount, detail::kDecompPool, cp,
                              out);
}

size_t lowercase(char32_t cp, char32_t* out) {
  if (cp < 128) {
    if (cp >= 'A' && cp <= 'Z') {
      out[0] = cp + 32;
      return 1;
    }
    return 0;
  }
  return detail::find_mapping(detail::kLower, detail::kLowerCount, detail::kLowerPool, cp, out);
}

}  // namespace triage::data::unicode
