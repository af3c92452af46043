// Text on its way through a tokenizer.json pipeline, as Hugging Face tokenizers'
// NormalizedString / PreTokenizedString keep it: the current characters, each with the
// [begin, end) range of original code points it stands for (every character a stage
// inserts takes the range of the character before it, a replaced one keeps its own), cut
// into splits; a split that is an added token already has its id and is left alone by the
// later stages. Offsets of tokens map back through these ranges. Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace triage::data {

using CharRange32 = std::pair<uint32_t, uint32_t>;

struct AlignedText {
  std::u32string chars;
  std::vector<CharRange32> align;  // per character: original code points [begin, end)

  size_t size() const { return chars.size(); }
  bool empty() const { return chars.empty(); }
  void clear() {
    chars.clear();
    align.clear();
  }
  void push(char32_t c, CharRange32 a) {
    chars.push_back(c);
    align.push_back(a);
  }
  // Appends chars [b, e) of other.
  void append(const AlignedText& other, size_t b, size_t e) {
    chars.append(other.chars, b, e - b);
    align.insert(align.end(), other.align.begin() + static_cast<std::ptrdiff_t>(b),
                 other.align.begin() + static_cast<std::ptrdiff_t>(e));
  }
  // Original range of chars [b, e): the first one's begin to the last one's end (empty:
  // where b falls).
  CharRange32 original(size_t b, size_t e) const;
};

// One character of a stage's output and how it relates to the input, as tokenizers'
// NormalizedString::transform reads it: 0 replaces the next input character, n > 0 is
// inserted (n counts nothing else), n < 0 replaces the next one and removes -n after it.
struct CharChange {
  char32_t c;
  int32_t change;
};

// tokenizers' NormalizedString::transform(changes, 0) over the whole text: a replacing
// character keeps the range of the input character it replaces, an inserted one takes the
// range of the input character before the current position ({0, 0} at the start), removed
// input characters vanish; input characters the changes never reach are dropped.
void transform(AlignedText& text, const std::vector<CharChange>& changes);

struct Split {
  uint32_t begin;  // [begin, end) in PreTokenized::text
  uint32_t end;
  int32_t added_id = -1;  // the added token this split is, -1 for text still to tokenize
};

struct PreTokenized {
  AlignedText text;
  std::vector<Split> splits;  // in order, never empty
  void clear() {
    text.clear();
    splits.clear();
  }
};

// How a split treats the matches of a pattern (tokenizers' SplitDelimiterBehavior).
enum class SplitBehavior { removed, isolated, merged_with_previous, merged_with_next, contiguous };

// A pattern's view of a text: consecutive [begin, end) ranges covering it, each a match or
// not (tokenizers' Pattern::find_matches; an empty text is one non-match (0, 0)).
struct MatchRange {
  uint32_t begin;
  uint32_t end;
  bool match;
};

// The pieces `behavior` makes of `ranges` (tokenizers' NormalizedString::split), appended
// to out as [begin, end) pairs; empty pieces included (the caller drops them).
void apply_split_behavior(const std::vector<MatchRange>& ranges, SplitBehavior behavior,
                          std::vector<std::pair<uint32_t, uint32_t>>& out);

// Replaces every split of s that has no token by the pieces of it that `pieces` yields;
// pieces(text, begin, end, out) appends [b, e) ranges within [begin, end); empty ones are
// dropped. The characters are unchanged (for stages that only cut).
template <typename F>
void resplit(PreTokenized& s, F&& pieces) {
  thread_local std::vector<Split> next;
  thread_local std::vector<std::pair<uint32_t, uint32_t>> cut;
  next.clear();
  for (const Split& sp : s.splits) {
    if (sp.added_id >= 0) {
      next.push_back(sp);
      continue;
    }
    cut.clear();
    pieces(s.text, sp.begin, sp.end, cut);
    for (const auto& [b, e] : cut)
      if (b < e) next.push_back({b, e, -1});
  }
  s.splits.swap(next);
}

}  // namespace triage::data
