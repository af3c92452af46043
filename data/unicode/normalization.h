// Unicode normalization forms as the tokenizers library computes them (its
// unicode-normalization-alignments crate, Unicode 9.0): every output character with the
// change it stands for (pre_tokenized.h CharChange), so that offsets map back exactly as the
// NFC / NFD / NFKC / NFKD normalizers map them. The data is generated from the library by
// gen_normalization.py (and gen_tables.py for canonical decompositions).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <vector>

#include "data/pre_tokenized.h"

namespace triage::data::unicode {

enum class NormalForm { NFC, NFD, NFKC, NFKD };

// chars [0, n) in `form`, appended to out: decomposition (the first character of each
// decomposed one is change 0, the rest inserted), canonical reordering, and for NFC / NFKC
// the crate's recomposition, whose composite carries the sum of its parts' changes minus 1.
void normalize(NormalForm form, const char32_t* chars, size_t n, std::vector<CharChange>& out);

uint8_t combining_class(char32_t c);
// The primary composite of a + b (Hangul included), 0 when there is none.
char32_t compose(char32_t a, char32_t b);

namespace detail {
struct ClassRange {
  char32_t first;
  char32_t last;  // inclusive
  uint8_t ccc;
};
struct Decomposition {
  char32_t cp;
  uint16_t offset;  // into kCompatPool
  uint8_t size;
};
struct Composition {
  char32_t a;
  char32_t b;
  char32_t composite;
};
extern const ClassRange kClasses[];
extern const size_t kClassCount;
extern const char32_t kCompatPool[];
extern const Decomposition kCompat[];
extern const size_t kCompatCount;
extern const Composition kCompositions[];
extern const size_t kCompositionCount;
}  // namespace detail

}  // namespace triage::data::unicode
