// Writers for the three formats (triage-data convert). Lossless where the target format can
// hold what the example has; every loss is counted in the report so the caller can warn.
// Files are written to a temporary name and renamed, so nothing half-written is left.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/example.h"
#include "data/readers.h"
#include "data/tag_scheme.h"

namespace triage::data {

struct WriteReport {
  int64_t examples = 0;
  int64_t flattened_transcripts = 0;  // multi-turn examples written as one word sequence
  int64_t widened_spans = 0;          // entities cutting through a word, widened to whole words
  int64_t dropped_intents = 0;        // intents CoNLL cannot hold
  int64_t dropped_extra_fields = 0;   // extra JSONL fields the target cannot hold
  int64_t merged_entities = 0;        // IO scheme: adjacent same-type entities become one
  int64_t lost_whitespace = 0;        // texts whose spacing is not one space between words
  std::vector<std::string> warnings() const;  // one line per non-zero loss counter
};

struct WriteOptions {
  TagScheme scheme = TagScheme::iob2;  // tags written by CoNLL and JointBERT
};

// One JSON object per line: {"id", "text" | "turns", "entities", "intent", extra...}.
void write_jsonl(const std::filesystem::path& file, const std::vector<Example>& examples,
                 WriteReport& report);
// A split folder with seq.in, seq.out and label (label only when some example has an intent).
void write_jointbert(const std::filesystem::path& dir, const std::vector<Example>& examples,
                     const WriteOptions& options, WriteReport& report);
// "word tag" lines, a blank line after each example.
void write_conll(const std::filesystem::path& file, const std::vector<Example>& examples,
                 const WriteOptions& options, WriteReport& report);

void write_examples(const std::filesystem::path& path, Format format,
                    const std::vector<Example>& examples, const WriteOptions& options,
                    WriteReport& report);

}  // namespace triage::data
