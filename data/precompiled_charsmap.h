// SentencePiece's compiled normalization rules (the precompiled_charsmap of a .model, the
// "Precompiled" normalizer of a tokenizer.json): a darts-clone double-array trie over UTF-8
// keys whose values index NUL-terminated replacements. Read and searched as the
// spm_precompiled crate of tokenizers does. Torch-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace triage::data {

class PrecompiledCharsmap {
 public:
  // The raw blob: a little-endian u32 trie size in bytes, the trie, the replacements.
  // InputError naming `where` when it is cut short or the replacements are not UTF-8.
  PrecompiledCharsmap(std::string_view blob, const std::string& where);
  // The replacement of the shortest key that prefixes `chunk` (stopping at a NUL byte),
  // nullopt when no key does; as spm_precompiled's transform, which takes the first
  // common-prefix result.
  std::optional<std::string_view> transform(std::string_view chunk) const;

 private:
  std::vector<uint32_t> trie_;
  std::string normalized_;
};

}  // namespace triage::data
