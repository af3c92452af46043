// Sub-word predictions to word tags and character spans (see decode.h).
#include "data/decode.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "data/viterbi.h"

namespace triage::data {

std::optional<Aggregation> parse_aggregation(std::string_view name) {
  if (name == "first") return Aggregation::first;
  if (name == "average") return Aggregation::average;
  if (name == "max") return Aggregation::max;
  return std::nullopt;
}

std::optional<DecodeMode> parse_decode_mode(std::string_view name) {
  if (name == "greedy") return DecodeMode::greedy;
  if (name == "constrained") return DecodeMode::constrained;
  if (name == "crf") return DecodeMode::crf;
  return std::nullopt;
}

const char* decode_mode_name(DecodeMode m) {
  switch (m) {
    case DecodeMode::greedy: return "greedy";
    case DecodeMode::constrained: return "constrained";
    case DecodeMode::crf: return "crf";
  }
  return "?";
}

const char* aggregation_name(Aggregation a) {
  switch (a) {
    case Aggregation::first: return "first";
    case Aggregation::average: return "average";
    case Aggregation::max: return "max";
  }
  return "?";
}

void softmax_rows(float* v, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = v + r * cols;
    const float m = *std::max_element(row, row + cols);
    float sum = 0;
    for (int64_t c = 0; c < cols; ++c) sum += row[c] = std::exp(row[c] - m);
    for (int64_t c = 0; c < cols; ++c) row[c] /= sum;
  }
}

void temper_row(float* row, int32_t n, double temperature) {
  if (temperature == 1.0 || n <= 0) return;
  const double inv = 1.0 / temperature;
  double m = -1e300;
  std::vector<double> l(static_cast<size_t>(n));
  for (int32_t c = 0; c < n; ++c) m = std::max(m, l[static_cast<size_t>(c)] = std::log(std::max<double>(row[c], 1e-30)) * inv);
  double sum = 0;
  for (int32_t c = 0; c < n; ++c) sum += l[static_cast<size_t>(c)] = std::exp(l[static_cast<size_t>(c)] - m);
  for (int32_t c = 0; c < n; ++c) row[c] = static_cast<float>(l[static_cast<size_t>(c)] / sum);
}

float tempered_probability(const float* row, int32_t n, int32_t k, double temperature) {
  if (temperature == 1.0) return row[k];
  const double inv = 1.0 / temperature;
  const double lk = std::log(std::max<double>(row[k], 1e-30)) * inv;
  double sum = 0;
  for (int32_t c = 0; c < n; ++c) sum += std::exp(std::log(std::max<double>(row[c], 1e-30)) * inv - lk);
  return static_cast<float>(1.0 / sum);
}

namespace {

int32_t argmax(const float* row, int32_t n) {
  return static_cast<int32_t>(std::max_element(row, row + n) - row);
}

template <class ScoreOf>
std::vector<PredictedSpan> group(const std::vector<int32_t>& tags,
                                 const std::vector<CharRange>& words, ScoreOf score_of) {
  std::vector<PredictedSpan> spans;
  int32_t open_type = -1, count = 0;
  float sum = 0;
  auto close = [&]() {
    if (open_type >= 0) spans.back().score = sum / static_cast<float>(count);
    open_type = -1;
  };
  for (size_t w = 0; w < tags.size(); ++w) {
    const int32_t tag = tags[w];
    const int32_t type = LabelSchema::type_of_tag(tag);
    if (type < 0) {
      close();
      continue;
    }
    if (LabelSchema::is_begin(tag) || type != open_type) {
      close();
      spans.push_back({words[w].start, words[w].end, type, 0});
      open_type = type;
      sum = 0;
      count = 0;
    }
    spans.back().end = words[w].end;
    sum += score_of(w);
    ++count;
  }
  close();
  return spans;
}

}  // namespace

std::vector<PredictedSpan> spans_from_word_tags(const std::vector<int32_t>& word_tags,
                                                const std::vector<CharRange>& words) {
  return group(word_tags, words, [](size_t) { return 1.0f; });
}

Decoded decode_tags(const float* probs, int32_t n_subwords, int32_t n_tags,
                    const std::vector<CharRange>& offsets, const std::vector<CharRange>& words,
                    Aggregation aggregation, DecodeMode mode, const Transitions* crf, double token_temperature) {
  if (static_cast<int32_t>(offsets.size()) != n_subwords)
    throw Error("decode_tags: " + std::to_string(offsets.size()) + " offsets for " +
                std::to_string(n_subwords) + " sub-words");
  if (mode == DecodeMode::crf && (!crf || crf->n_tags != n_tags))
    throw Error("decode_tags: decode mode crf needs the CRF's transitions over " + std::to_string(n_tags) + " tags");
  const bool sequence = mode != DecodeMode::greedy;
  Decoded d;
  d.word_tags.assign(words.size(), 0);
  d.word_scores.assign(words.size(), 0.0f);
  d.word_rows.assign(words.size() * static_cast<size_t>(n_tags), 0.0f);
  std::vector<float> mean(static_cast<size_t>(n_tags));
  // constrained, crf: the aggregated rows of the words with sub-words, decoded together at the end
  std::vector<float> rows;
  std::vector<size_t> row_words;
  std::vector<size_t> empty;  // words no sub-word overlaps
  size_t j = 0;  // first sub-word that may overlap the current word
  for (size_t w = 0; w < words.size(); ++w) {
    const CharRange word = words[w];
    while (j < offsets.size() &&
           (offsets[j].end <= word.start || offsets[j].start >= offsets[j].end))
      ++j;
    int32_t count = 0, first = -1, best = -1;
    float best_p = -1;
    std::fill(mean.begin(), mean.end(), 0.0f);
    for (size_t k = j; k < offsets.size() && offsets[k].start < word.end; ++k) {
      if (offsets[k].start >= offsets[k].end || offsets[k].end <= word.start) continue;
      const float* row = probs + static_cast<int64_t>(k) * n_tags;
      if (first < 0) first = static_cast<int32_t>(k);
      ++count;
      if (aggregation == Aggregation::average)
        for (int32_t c = 0; c < n_tags; ++c) mean[static_cast<size_t>(c)] += row[c];
      if (aggregation == Aggregation::max) {
        const float p = row[argmax(row, n_tags)];
        if (p > best_p) best_p = p, best = static_cast<int32_t>(k);
      }
    }
    if (count == 0) {
      empty.push_back(w);  // tagged once its neighbours are, below
      continue;
    }
    const float* row = nullptr;
    if (aggregation == Aggregation::first) row = probs + static_cast<int64_t>(first) * n_tags;
    if (aggregation == Aggregation::max) row = probs + static_cast<int64_t>(best) * n_tags;
    if (aggregation == Aggregation::average) {
      for (float& m : mean) m /= static_cast<float>(count);
      row = mean.data();
    }
    std::copy(row, row + n_tags, d.word_rows.begin() + static_cast<std::ptrdiff_t>(w * static_cast<size_t>(n_tags)));
    if (sequence) {
      rows.insert(rows.end(), row, row + n_tags);
      row_words.push_back(w);
      continue;
    }
    const int32_t tag = argmax(row, n_tags);
    d.word_tags[w] = tag;
    d.word_scores[w] = tempered_probability(row, n_tags, tag, token_temperature);
  }
  if (sequence && !row_words.empty()) {
    std::vector<float> logp(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) logp[i] = std::log(std::max(rows[i], 1e-30f));
    static thread_local Transitions bio;
    if (bio.n_tags != n_tags) bio = bio_transitions(n_tags);
    const auto path = viterbi(logp.data(), static_cast<int32_t>(row_words.size()), mode == DecodeMode::crf ? *crf : bio);
    for (size_t i = 0; i < row_words.size(); ++i) {
      d.word_tags[row_words[i]] = path[i];
      d.word_scores[row_words[i]] =
          tempered_probability(rows.data() + i * static_cast<size_t>(n_tags), n_tags, path[i], token_temperature);
    }
  }
  // No sub-word (only characters the normalizer deletes, e.g. U+FFFD): the word continues
  // the entity of the word before it, or is O (in word order, so runs of them chain).
  for (size_t w : empty) {
    const int32_t prev_type = w > 0 ? LabelSchema::type_of_tag(d.word_tags[w - 1]) : -1;
    if (prev_type >= 0) {
      d.word_tags[w] = LabelSchema::inside_tag(prev_type);
      d.word_scores[w] = d.word_scores[w - 1];
    }
  }
  d.spans = group(d.word_tags, words, [&](size_t w) { return d.word_scores[w]; });
  return d;
}

}  // namespace triage::data
