// The split behaviors of tokenizers' NormalizedString::split (tokenizer/normalizer.rs).
#include "data/pre_tokenized.h"

#include <algorithm>

namespace triage::data {

CharRange32 AlignedText::original(size_t b, size_t e) const {
  if (align.empty()) return {0, 0};
  if (b >= e) {
    const uint32_t at = b < align.size() ? align[b].first : align.back().second;
    return {at, at};
  }
  return {align[b].first, align[e - 1].second};
}

void transform(AlignedText& text, const std::vector<CharChange>& changes) {
  thread_local AlignedText next;
  next.clear();
  size_t at = 0;  // the next input character
  const size_t n = text.size();
  for (const CharChange& ch : changes) {
    CharRange32 a;
    if (ch.change > 0) {
      a = at < 1 ? CharRange32{0, 0} : text.align[std::min(at, n) - 1];
    } else {
      // past the end, tokenizers would index out of bounds; changes built from the text
      // never get there
      a = at < n ? text.align[at] : (n ? CharRange32{text.align[n - 1].second, text.align[n - 1].second} : CharRange32{0, 0});
      at += 1 + static_cast<size_t>(-ch.change);
    }
    next.push(ch.c, a);
  }
  std::swap(text, next);
}

void apply_split_behavior(const std::vector<MatchRange>& ranges, SplitBehavior behavior,
                          std::vector<std::pair<uint32_t, uint32_t>>& out) {
  switch (behavior) {
    case SplitBehavior::removed:
      for (const MatchRange& r : ranges)
        if (!r.match) out.emplace_back(r.begin, r.end);
      return;
    case SplitBehavior::isolated:
      for (const MatchRange& r : ranges) out.emplace_back(r.begin, r.end);
      return;
    case SplitBehavior::contiguous: {
      const size_t first = out.size();
      bool previous = false;
      for (const MatchRange& r : ranges) {
        if (r.match == previous && out.size() > first)
          out.back().second = r.end;
        else
          out.emplace_back(r.begin, r.end);
        previous = r.match;
      }
      return;
    }
    case SplitBehavior::merged_with_previous: {
      const size_t first = out.size();
      bool previous = false;
      for (const MatchRange& r : ranges) {
        if (r.match && !previous && out.size() > first)
          out.back().second = r.end;
        else
          out.emplace_back(r.begin, r.end);
        previous = r.match;
      }
      return;
    }
    case SplitBehavior::merged_with_next: {
      // right to left, a match joins the piece after it
      const size_t first = out.size();
      bool previous = false;
      for (auto it = ranges.rbegin(); it != ranges.rend(); ++it) {
        if (it->match && !previous && out.size() > first)
          out.back().first = it->begin;
        else
          out.emplace_back(it->begin, it->end);
        previous = it->match;
      }
      std::reverse(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
      return;
    }
  }
}

}  // namespace triage::data
