// Corpus statistics (see corpus_stats.h).
#include "data/corpus_stats.h"

#include <algorithm>
#include <cmath>

#include "data/tag_scheme.h"
#include "data/windows.h"

namespace triage::data {

LengthSummary summarize_lengths(std::vector<int64_t> v) {
  LengthSummary s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto pct = [&](double p) {
    size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
  };
  s.min = v.front();
  s.max = v.back();
  s.p50 = pct(50);
  s.p90 = pct(90);
  s.p95 = pct(95);
  s.p99 = pct(99);
  double sum = 0;
  for (int64_t x : v) sum += static_cast<double>(x);
  s.mean = sum / static_cast<double>(v.size());
  return s;
}

CorpusStats compute_stats(const std::vector<Example>& examples, const Tokenizer* tokenizer,
                          int32_t max_seq_len, int32_t stride) {
  CorpusStats s;
  s.max_seq_len = max_seq_len;
  std::vector<int64_t> wl, sl;
  WindowOptions wo{max_seq_len, stride};
  for (const Example& e : examples) {
    ++s.examples;
    if (!e.turns.empty()) ++s.multi_turn;
    s.words += static_cast<int64_t>(e.words.size());
    wl.push_back(static_cast<int64_t>(e.words.size()));
    for (const EntitySpan& sp : e.entities) ++s.entity_counts[sp.label];
    s.entities += static_cast<int64_t>(e.entities.size());
    int32_t cut = 0;
    word_entities(e, &cut);
    s.cut_spans += cut;
    ++s.intent_counts[e.intent];
    if (tokenizer) {
      const int64_t n = static_cast<int64_t>(tokenizer->encode(e.text, false).size());
      s.subwords += n;
      sl.push_back(n);
      if (n + 2 > max_seq_len) ++s.over_max_seq_len;
      s.windows += static_cast<int64_t>(make_windows(static_cast<int32_t>(n), wo).size());
    }
  }
  s.word_lengths = summarize_lengths(std::move(wl));
  if (tokenizer) {
    s.has_subwords = true;
    s.subword_lengths = summarize_lengths(std::move(sl));
  }
  return s;
}

namespace {
nlohmann::ordered_json lengths_json(const LengthSummary& l) {
  return {{"min", l.min}, {"p50", l.p50}, {"p90", l.p90}, {"p95", l.p95},
          {"p99", l.p99}, {"max", l.max}, {"mean", std::round(l.mean * 100) / 100}};
}
}  // namespace

nlohmann::ordered_json CorpusStats::to_json() const {
  nlohmann::ordered_json j;
  j["examples"] = examples;
  j["multi_turn"] = multi_turn;
  j["words"] = words;
  j["entities"] = entities;
  j["cut_spans"] = cut_spans;
  j["entity_counts"] = entity_counts;
  j["intent_counts"] = intent_counts;
  j["word_lengths"] = lengths_json(word_lengths);
  if (has_subwords) {
    j["subwords"] = subwords;
    j["subword_lengths"] = lengths_json(subword_lengths);
    j["max_seq_len"] = max_seq_len;
    j["over_max_seq_len"] = over_max_seq_len;
    j["windows"] = windows;
  }
  return j;
}

}  // namespace triage::data
