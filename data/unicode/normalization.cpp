// NFC / NFD / NFKC / NFKD with changes, ported from unicode-normalization-alignments 0.1
// (decompose.rs, recompose.rs, normalize.rs), which the tokenizers library normalizes with.
#include "data/unicode/normalization.h"

#include <algorithm>
#include <optional>

#include "data/unicode/tables.h"

namespace triage::data::unicode {
namespace {

constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount,
                   kSCount = kLCount * kNCount;

struct Decomposed {
  uint8_t ccc;
  char32_t c;
  int32_t change;
};

// Appends the full decomposition of c (compat: the compatibility one where there is one).
size_t decompose(char32_t c, bool compat, char32_t* buf, const char32_t** seq) {
  *seq = buf;
  if (c < 0x80) {
    buf[0] = c;
    return 1;
  }
  if (compat && c >= 0xA0) {
    const auto* end = detail::kCompat + detail::kCompatCount;
    const auto* it = std::lower_bound(detail::kCompat, end, c,
                                      [](const detail::Decomposition& d, char32_t v) { return d.cp < v; });
    if (it != end && it->cp == c) {
      *seq = detail::kCompatPool + it->offset;
      return it->size;
    }
  }
  const size_t n = decomposition(c, buf);  // canonical, Hangul included
  if (n == 0) {
    buf[0] = c;
    return 1;
  }
  return n;
}

// The crate's Decompositions iterator: each run that starts at a class-0 character is
// stably sorted by class (so is a leading run of marks).
void decompose_all(const char32_t* chars, size_t n, bool compat, std::vector<Decomposed>& out) {
  size_t pending = 0;  // start of the run not yet sorted
  const auto sort_pending = [&] {
    std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(pending), out.end(),
                     [](const Decomposed& a, const Decomposed& b) { return a.ccc < b.ccc; });
    pending = out.size();
  };
  char32_t buf[4];
  for (size_t i = 0; i < n; ++i) {
    const char32_t* seq;
    const size_t m = decompose(chars[i], compat, buf, &seq);
    for (size_t k = 0; k < m; ++k) {
      const uint8_t cls = combining_class(seq[k]);
      if (cls == 0) sort_pending();
      out.push_back({cls, seq[k], k == 0 ? 0 : 1});
    }
  }
  sort_pending();
}

// The crate's Recompositions state machine, literally (including that a character
// blocked behind a mark waits in the buffer and comes out after the composee).
void recompose(const std::vector<Decomposed>& in, std::vector<CharChange>& out) {
  std::optional<CharChange> composee;
  std::optional<uint8_t> last_ccc;
  thread_local std::vector<CharChange> buffer;
  buffer.clear();
  for (const Decomposed& d : in) {
    const CharChange ch{d.c, d.change};
    const uint8_t cls = d.ccc;
    if (!composee) {
      if (cls != 0) {
        out.push_back(ch);
        continue;
      }
      composee = ch;
      continue;
    }
    const CharChange k = *composee;
    if (!last_ccc) {
      if (const char32_t r = compose(k.c, ch.c)) {
        composee = CharChange{r, k.change + ch.change - 1};
        continue;
      }
      if (cls == 0) {
        composee = ch;
        out.push_back(k);
        continue;
      }
      buffer.push_back(ch);
      last_ccc = cls;
      continue;
    }
    if (*last_ccc >= cls) {  // ch is blocked from the composee
      if (cls == 0) {
        composee = ch;
        last_ccc.reset();
        out.push_back(k);
        out.insert(out.end(), buffer.begin(), buffer.end());
        buffer.clear();
        continue;
      }
      buffer.push_back(ch);
      last_ccc = cls;
      continue;
    }
    if (const char32_t r = compose(k.c, ch.c)) {
      composee = CharChange{r, k.change + ch.change - 1};
      continue;
    }
    buffer.push_back(ch);
    last_ccc = cls;
  }
  if (composee) out.push_back(*composee);
  out.insert(out.end(), buffer.begin(), buffer.end());
}

}  // namespace

uint8_t combining_class(char32_t c) {
  if (c < 0x300) return 0;
  const auto* end = detail::kClasses + detail::kClassCount;
  const auto* it = std::upper_bound(detail::kClasses, end, c,
                                    [](char32_t v, const detail::ClassRange& r) { return v < r.first; });
  return it != detail::kClasses && c <= (it - 1)->last ? (it - 1)->ccc : 0;
}

char32_t compose(char32_t a, char32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
    return kSBase + (a - kLBase) * kNCount + (b - kVBase) * kTCount;
  if (a >= kSBase && a < kSBase + kSCount && b > kTBase && b < kTBase + kTCount && (a - kSBase) % kTCount == 0)
    return a + (b - kTBase);
  const auto* end = detail::kCompositions + detail::kCompositionCount;
  const auto* it = std::lower_bound(detail::kCompositions, end, std::pair{a, b},
                                    [](const detail::Composition& c, std::pair<char32_t, char32_t> v) {
                                      return c.a != v.first ? c.a < v.first : c.b < v.second;
                                    });
  return it != end && it->a == a && it->b == b ? it->composite : 0;
}

void normalize(NormalForm form, const char32_t* chars, size_t n, std::vector<CharChange>& out) {
  thread_local std::vector<Decomposed> decomposed;
  decomposed.clear();
  const bool compat = form == NormalForm::NFKC || form == NormalForm::NFKD;
  decompose_all(chars, n, compat, decomposed);
  if (form == NormalForm::NFD || form == NormalForm::NFKD) {
    for (const Decomposed& d : decomposed) out.push_back({d.c, d.change});
    return;
  }
  recompose(decomposed, out);
}

}  // namespace triage::data::unicode
