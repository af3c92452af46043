// Alignment of labels onto sub-words: an Example (words + character-span entities) is
// tokenized once and every sub-word gets its word and its training label. Special tokens
// are not added here; windows.h wraps each window as the model expects.
#pragma once

#include <cstdint>
#include <vector>

#include "data/example.h"
#include "data/labels.h"
#include "data/tokenizer.h"

namespace triage::data {

inline constexpr int32_t kIgnoreLabel = -100;  // PyTorch cross_entropy's ignore_index

enum class LabelMode {
  first_subword,  // the first sub-word of each word carries the word's tag, the rest -100
  all_subwords,   // every sub-word carries its word's tag (B stays B across a word's
                  // pieces, as HF label_all_tokens)
};

struct EncodeOptions {
  LabelMode label_mode = LabelMode::first_subword;
};

struct EncodedExample {
  std::vector<int32_t> ids;        // [n] sub-word ids, no special tokens
  std::vector<CharRange> offsets;  // [n] code points of Example::text
  std::vector<int32_t> word_ids;   // [n] first word (index into Example::words) the sub-word
                                   //     overlaps; -1 when none
  std::vector<int32_t> labels;     // [n] tag ids or kIgnoreLabel; empty without a schema
  int32_t intent = kIgnoreLabel;   // intent id; kIgnoreLabel when none, unknown or no schema
  int32_t unseen_entities = 0;     // entities whose type the schema lacks (ignored: -100)
  int32_t cut_spans = 0;           // entities whose edges fall inside a word
  size_t size() const { return ids.size(); }
};

// Tokenizes example.text (no special tokens) and aligns words and, when schema is given,
// labels. Word tags come from word_entities(): each entity tags every word it overlaps
// (B- on the first), so a span cutting through a word labels the whole word - every
// sub-word it touches included - and decodes back as that whole word. Sub-words of words tagged with an unknown type get kIgnoreLabel.
// Throws InputError on invalid UTF-8 (readers have validated already).
EncodedExample encode_example(const Tokenizer& tokenizer, const Example& example,
                              const LabelSchema* schema, const EncodeOptions& options = {});

}  // namespace triage::data
