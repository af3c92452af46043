// Corpus statistics for triage-data stats: sizes, label and intent counts, length
// percentiles in words and in the model tokenizer's sub-words, and how many examples need
// more than one window at a given max_seq_len.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/example.h"
#include "data/tokenizer.h"

namespace triage::data {

struct LengthSummary {
  int64_t min = 0, p50 = 0, p90 = 0, p95 = 0, p99 = 0, max = 0;
  double mean = 0;
};
LengthSummary summarize_lengths(std::vector<int64_t> lengths);  // nearest-rank percentiles

struct CorpusStats {
  int64_t examples = 0;
  int64_t multi_turn = 0;
  int64_t words = 0;
  int64_t entities = 0;
  int64_t cut_spans = 0;
  std::map<std::string, int64_t> entity_counts;  // entity type -> entities
  std::map<std::string, int64_t> intent_counts;  // intent -> examples ("" = none)
  LengthSummary word_lengths;
  bool has_subwords = false;  // the rest needs a tokenizer
  int64_t subwords = 0;
  LengthSummary subword_lengths;  // without special tokens
  int32_t max_seq_len = 0;
  int64_t over_max_seq_len = 0;   // examples with sub-words + 2 > max_seq_len
  int64_t windows = 0;            // model inputs after windowing (stride as given)
  nlohmann::ordered_json to_json() const;  // keys in the order above
};

// tokenizer may be null (no sub-word figures).
CorpusStats compute_stats(const std::vector<Example>& examples, const Tokenizer* tokenizer,
                          int32_t max_seq_len, int32_t stride);

}  // namespace triage::data
