// Extended grapheme clusters (UAX #29), as unicode-segmentation's graphemes(true) cuts
// them for tokenizers' Precompiled normalizer: rules GB3-GB13 over the generated
// Grapheme_Cluster_Break table (gen_graphemes.py). Not GB9c (Indic conjuncts): its
// clusters are three or more 3-byte characters, which Precompiled treats character by
// character anyway, as it does every cluster of 6 bytes or more.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>

namespace triage::data::unicode {

enum class GraphemeBreak : uint8_t { Other, CR, LF, Control, Extend, ZWJ, RegionalIndicator, Prepend,
                                     SpacingMark, L, V, T, LV, LVT };

GraphemeBreak grapheme_break(char32_t c);
bool extended_pictographic(char32_t c);
// The end of the cluster that starts at chars[begin] (begin < n).
size_t grapheme_end(const char32_t* chars, size_t begin, size_t n);

namespace detail {
struct GraphemeRun {
  char32_t first;  // the run lasts until the next one's first
  uint8_t value;   // GraphemeBreak | 0x80 if Extended_Pictographic
};
extern const GraphemeRun kGraphemeRuns[];
extern const size_t kGraphemeRunCount;
}  // namespace detail

}  // namespace triage::data::unicode
