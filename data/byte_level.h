// The ByteLevel pre-tokenizer of Hugging Face tokenizers (GPT-2, RoBERTa, ModernBERT): an
// optional leading space (add_prefix_space, when the text does not start with one), a split
// with the GPT-2 pattern (use_regex), then every UTF-8 byte of a piece becomes one character
// of GPT-2's bytes_to_unicode alphabet. Pieces keep, per character, the range of original
// code points it came from (the bytes of one character all map to that character; the added
// space maps to the first character), which is how tokenizers maps offsets back. Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace triage::data {

// The character byte b becomes (GPT-2 encoder.py bytes_to_unicode).
char32_t byte_level_char(uint8_t b);

// A piece of text on its way through a tokenizer.json pipeline: its characters and, per
// character, the [begin, end) range of original code points it stands for.
struct AlignedText {
  std::u32string chars;
  std::vector<std::pair<uint32_t, uint32_t>> align;
  // Original range of chars [b, e) (empty: where b falls).
  std::pair<uint32_t, uint32_t> original(size_t b, size_t e) const;
};

struct ByteLevelOptions {
  bool add_prefix_space = true;
  bool use_regex = true;
};

// Appends the pieces of `in` (which must be valid Unicode) to out.
void byte_level_pre_tokenize(const AlignedText& in, const ByteLevelOptions& options, std::vector<AlignedText>& out);

}  // namespace triage::data
