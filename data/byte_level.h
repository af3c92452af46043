// The ByteLevel pre-tokenizer of Hugging Face tokenizers (GPT-2, RoBERTa, ModernBERT): an
// optional leading space (add_prefix_space, when the text does not start with one), a split
// with the GPT-2 pattern (use_regex), then every UTF-8 byte of a piece becomes one character
// of GPT-2's bytes_to_unicode alphabet. Pieces keep, per character, the range of original
// code points it came from (the bytes of one character all map to that character; the added
// space maps to the first character), which is how tokenizers maps offsets back. Torch-free.
#pragma once

#include <cstdint>

#include "data/pre_tokenized.h"

namespace triage::data {

// The character byte b becomes (GPT-2 encoder.py bytes_to_unicode).
char32_t byte_level_char(uint8_t b);

struct ByteLevelOptions {
  bool add_prefix_space = true;
  bool use_regex = true;
};

// Replaces every split of s that has no token by its byte-level pieces (the characters
// change: s.text is rebuilt).
void byte_level_pre_tokenize(PreTokenized& s, const ByteLevelOptions& options);

}  // namespace triage::data
