// darts-clone double-array lookups, after spm_precompiled's DoubleArray.
#include "data/precompiled_charsmap.h"

#include <cstring>

#include "core/error.h"
#include "data/utf8.h"

namespace triage::data {
namespace {

bool has_leaf(uint32_t u) { return (u >> 8) & 1; }
uint32_t value(uint32_t u) { return u & 0x7FFFFFFFu; }
uint32_t label(uint32_t u) { return u & (0x80000000u | 0xFFu); }
uint32_t offset(uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }

}  // namespace

PrecompiledCharsmap::PrecompiledCharsmap(std::string_view blob, const std::string& where) {
  if (blob.size() < 4) throw InputError(where + ": " + std::to_string(blob.size()) + " bytes, too short for a charsmap");
  const auto u32 = [&](size_t at) {
    const auto* p = reinterpret_cast<const unsigned char*>(blob.data() + at);
    return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
           static_cast<uint32_t>(p[3]) << 24;
  };
  const uint32_t trie_bytes = u32(0);
  if (trie_bytes / 4 > (blob.size() - 4) / 4)
    throw InputError(where + ": the trie needs " + std::to_string(trie_bytes) + " bytes, the charsmap has " +
                     std::to_string(blob.size() - 4));
  trie_.resize(trie_bytes / 4);
  for (size_t i = 0; i < trie_.size(); ++i) trie_[i] = u32(4 + 4 * i);
  normalized_ = std::string(blob.substr(4 + 4 * trie_.size()));
  if (!utf8::valid(normalized_)) throw InputError(where + ": the replacements are not valid UTF-8");
  if (trie_.empty()) throw InputError(where + ": the charsmap's trie is empty");
}

std::optional<std::string_view> PrecompiledCharsmap::transform(std::string_view chunk) const {
  size_t node = 0;
  uint32_t unit = trie_[node];
  node ^= offset(unit);
  for (unsigned char c : chunk) {
    if (c == 0) break;
    node ^= c;
    if (node >= trie_.size()) return std::nullopt;
    unit = trie_[node];
    if (label(unit) != c) return std::nullopt;
    node ^= offset(unit);
    if (has_leaf(unit)) {
      if (node >= trie_.size()) return std::nullopt;
      const size_t from = value(trie_[node]);
      if (from > normalized_.size()) return std::nullopt;
      const size_t to = normalized_.find('\0', from);
      return std::string_view(normalized_).substr(from, (to == std::string::npos ? normalized_.size() : to) - from);
    }
  }
  return std::nullopt;
}

}  // namespace triage::data
