// The one decode path shared by eval and serve: per-sub-word tag probabilities back to
// word tags and to character spans, with Hugging Face's token-classification aggregation
// strategies. Spans are unions of whole words, so they never include surrounding
// whitespace. Works for any tokenizer: a word's sub-words are the sub-words whose offsets
// overlap it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "data/example.h"
#include "data/labels.h"
#include "data/viterbi.h"

namespace triage::data {

enum class Aggregation {
  first,    // the word takes the argmax of its first sub-word
  average,  // argmax of the mean of its sub-words' probabilities
  max,      // the argmax of the sub-word whose top probability is highest
};
std::optional<Aggregation> parse_aggregation(std::string_view name);  // "first", "average", "max"
const char* aggregation_name(Aggregation a);

// decode.mode: how word tags are chosen from the words' (aggregated) tag probabilities.
enum class DecodeMode {
  greedy,       // each word its most probable tag (an I- may open an entity)
  constrained,  // the most probable sequence of valid BIO tags (Viterbi over log-probabilities)
  crf,          // the same under a CRF head's learned transition scores (model/crf.h)
};
std::optional<DecodeMode> parse_decode_mode(std::string_view name);  // "greedy", "constrained", "crf"
const char* decode_mode_name(DecodeMode m);

struct PredictedSpan {
  int32_t start = 0;  // code points of the text, end exclusive
  int32_t end = 0;
  int32_t type = 0;   // index into LabelSchema::entity_types()
  float score = 0;    // mean of its words' scores
};

struct Decoded {
  std::vector<int32_t> word_tags;  // [n_words] tag ids (0 = O). A word no sub-word overlaps
                                   // (only characters the normalizer deletes) continues the
                                   // previous word's entity (I-), else is O
  std::vector<float> word_scores;  // [n_words] probability of the chosen tag (tempered, below)
  std::vector<PredictedSpan> spans;
  // [n_words, n_tags] each word's aggregated probability row before any temperature (zeros
  // for a word no sub-word overlaps): what calibration is fitted on (eval/calibration.h).
  std::vector<float> word_rows;
};

// probs: [n_subwords, n_tags] row-major probabilities (softmax of the logits) for the
// content sub-words (no special tokens) whose offsets are given; words: the example's
// words. Each word's tag row is aggregated from its sub-words, then tags are chosen by
// `mode`. Entities are grouped leniently: a B- tag, an I- after O or a type change starts
// a new entity (constrained and crf decoding never output the last two). n_tags must be
// LabelSchema::num_tags(). A word's score is its row's probability of the chosen tag.
// token_temperature T (fitted by calibration, 1 = none) tempers only the scores: a word's score
// is tempered_probability(row, tag, T); tags are chosen from the rows as they are.
// crf: Viterbi over the rows' log-probabilities under `crf` (CrfImpl::transitions_for, over
// schema tag ids); log-softmax shifts each row by a constant, so with Aggregation::first this
// is the CRF's best path over its emissions. Error when mode is crf and crf is null.
Decoded decode_tags(const float* probs, int32_t n_subwords, int32_t n_tags,
                    const std::vector<CharRange>& offsets, const std::vector<CharRange>& words,
                    Aggregation aggregation, DecodeMode mode = DecodeMode::greedy,
                    const Transitions* crf = nullptr, double token_temperature = 1.0);

// Temperature scaling on probabilities: softmax(log(p) / T), i.e. p^(1/T) renormalised; on a
// softmax's output it is softmax(logits / T). T = 1 leaves p unchanged.
void temper_row(float* row, int32_t n, double temperature);
// Entry k of temper_row(row) without changing row.
float tempered_probability(const float* row, int32_t n, int32_t k, double temperature);

// Row-wise softmax in place over a [rows, cols] row-major array.
void softmax_rows(float* values, int64_t rows, int64_t cols);

// Spans of word tags (same grouping as decode_tags, scores 1).
std::vector<PredictedSpan> spans_from_word_tags(const std::vector<int32_t>& word_tags,
                                                const std::vector<CharRange>& words);

}  // namespace triage::data
