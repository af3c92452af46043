// Word segmentation (see words.h).
#include "data/words.h"

#include "data/unicode/tables.h"
#include "data/utf8.h"

namespace triage::data {

void split_words(const char32_t* cps, size_t n, std::vector<CharRange>& out) {
  using namespace unicode;
  out.clear();
  int32_t start = -1;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t f = flags(cps[i]);
    const int32_t at = static_cast<int32_t>(i);
    if (f & (kSplitSpace | kCleanSpace | kRemove)) {
      if (start >= 0) out.push_back({start, at});
      start = -1;
    } else if (f & (kPunct | kCjk)) {
      if (start >= 0) out.push_back({start, at});
      start = -1;
      out.push_back({at, at + 1});
    } else if (start < 0) {
      start = at;
    }
  }
  if (start >= 0) out.push_back({start, static_cast<int32_t>(n)});
}

std::vector<CharRange> split_words(std::string_view utf8_text) {
  std::vector<char32_t> cps;
  utf8::decode(utf8_text, cps);
  std::vector<CharRange> out;
  split_words(cps.data(), cps.size(), out);
  return out;
}

int32_t code_point_count(std::string_view s) {
  int32_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace triage::data
