// The labelled example every reader produces and every consumer (alignment, batching,
// train, eval, serve) reads. Offsets are Unicode code points of Example::text, end
// exclusive, the unit the tokenizers report and the JSONL format uses.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "data/tag_scheme.h"

namespace triage::data {

// [start, end) in code points.
struct CharRange {
  int32_t start = 0;
  int32_t end = 0;
  bool operator==(const CharRange&) const = default;
};

// A labelled entity: [start, end) in code points of Example::text, label = entity type
// (no B-/I- prefix).
struct EntitySpan {
  int32_t start = 0;
  int32_t end = 0;
  std::string label;
  bool operator==(const EntitySpan&) const = default;
};

// One turn of a multi-turn transcript. Example::text holds the turns as
// "speaker: text" lines joined by '\n'; offset is where this turn's text starts in it.
struct Turn {
  std::string speaker;
  std::string text;
  int32_t offset = 0;  // code points, into Example::text
  int32_t length = 0;  // code points of text
};

// Where an example came from, for errors and reports.
struct SourceRef {
  std::string file;
  int64_t line = 0;  // 1-based; JointBERT: the line in seq.in; CoNLL: first token line
};

struct Example {
  std::string id;                    // from the file, or "<split>-<n>" when it has none
  std::string text;                  // UTF-8; multi-turn: see Turn
  std::vector<Turn> turns;           // empty for single-text examples
  std::vector<CharRange> words;      // ascending, disjoint, never include whitespace
  std::vector<EntitySpan> entities;  // ascending, disjoint, non-empty
  std::string intent;                // "" when the example has none; '#'-joined multi-intents kept whole
  bool pre_split = false;            // words came from the file (CoNLL, JointBERT), text joins them
  SourceRef source;
  // Unknown top-level JSONL fields as (key, raw JSON text), written back by convert.
  std::vector<std::pair<std::string, std::string>> extra;
};

}  // namespace triage::data

namespace triage::data {

// A single-text example with its words (see words.h). Throws InputError on invalid UTF-8.
Example make_text_example(std::string id, std::string text);

// A multi-turn example: turns (speaker, text) become "speaker: text" lines joined by '\n'
// (just "text" when the speaker is empty). Throws InputError on invalid UTF-8 or a
// newline inside a speaker name.
Example make_turns_example(std::string id,
                           const std::vector<std::pair<std::string, std::string>>& turns);

// Entities as word ranges over example.words: each entity covers every word it overlaps.
// cut_spans (optional) counts entities whose edges fall inside a word (they are widened
// to whole words); an entity overlapping no word (impossible for validated examples) is
// dropped and counted as cut.
std::vector<WordEntity> word_entities(const Example& example, int32_t* cut_spans = nullptr);

// The code-point range of words [begin, end).
inline CharRange word_span(const Example& e, int32_t begin, int32_t end) {
  return {e.words[static_cast<size_t>(begin)].start, e.words[static_cast<size_t>(end) - 1].end};
}

}  // namespace triage::data
