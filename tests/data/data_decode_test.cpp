// Constrained decoding (issue 18): Viterbi's best path equals brute-force enumeration of every
// tag sequence; BIO-constrained decoding never outputs an invalid sequence (property test over
// random probabilities, aggregations and words without sub-words) and equals greedy wherever
// greedy's own output is valid.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "data/decode.h"
#include "data/labels.h"
#include "data/viterbi.h"

using namespace triage::data;

namespace {

// The best-scoring sequence by enumeration (ties: the lexicographically smallest from the end,
// as viterbi's backtracking from the first best final tag resolves them; compared by score).
double path_score(const std::vector<float>& e, const std::vector<int32_t>& p, const Transitions& t) {
  double s = t.start[p[0]] + t.end[p.back()];
  for (size_t i = 0; i < p.size(); ++i) {
    s += e[i * t.n_tags + p[i]];
    if (i) s += t.step[p[i - 1] * t.n_tags + p[i]];
  }
  return s;
}

double brute_best(const std::vector<float>& e, int32_t n, const Transitions& t) {
  std::vector<int32_t> p(n, 0);
  double best = -std::numeric_limits<double>::infinity();
  for (;;) {
    best = std::max(best, path_score(e, p, t));
    int32_t i = 0;
    while (i < n && ++p[i] == t.n_tags) p[i++] = 0;
    if (i == n) break;
  }
  return best;
}

std::vector<float> random_rows(std::mt19937& rng, int32_t n, int32_t tags) {  // softmax rows
  std::normal_distribution<float> z(0, 2);
  std::vector<float> v(static_cast<size_t>(n) * tags);
  for (auto& x : v) x = z(rng);
  softmax_rows(v.data(), n, tags);
  return v;
}

}  // namespace

TEST(Viterbi, EqualsBruteForceOnRandomScores) {
  std::mt19937 rng(11);
  std::normal_distribution<float> z(0, 1);
  for (int trial = 0; trial < 200; ++trial) {
    const int32_t tags = 2 + trial % 4, n = 1 + trial % 5;
    Transitions t;
    t.n_tags = tags;
    for (int32_t i = 0; i < tags * tags; ++i) t.step.push_back(z(rng));
    for (int32_t i = 0; i < tags; ++i) t.start.push_back(z(rng)), t.end.push_back(z(rng));
    if (trial % 3 == 0) t.step[0] = -std::numeric_limits<float>::infinity();  // a forbidden move
    std::vector<float> e(static_cast<size_t>(n) * tags);
    for (auto& x : e) x = z(rng);
    const auto path = viterbi(e.data(), n, t);
    ASSERT_EQ(path.size(), static_cast<size_t>(n));
    EXPECT_NEAR(path_score(e, path, t), brute_best(e, n, t), 1e-4) << "trial " << trial;
  }
}

TEST(Viterbi, BioRulesAndBruteForceOverValidSequences) {
  // 3 entity types: O, B-0, I-0, B-1, I-1, B-2, I-2
  const auto bio = bio_transitions(7);
  EXPECT_TRUE(valid_bio({0, 1, 2, 2, 0, 3, 4}));
  EXPECT_TRUE(valid_bio({1, 1, 3, 4, 1}));
  EXPECT_FALSE(valid_bio({2}));           // I- first
  EXPECT_FALSE(valid_bio({0, 4}));        // I- after O
  EXPECT_FALSE(valid_bio({1, 4}));        // I- of another type
  EXPECT_FALSE(valid_bio({3, 4, 6}));     // I- after I- of another type
  std::mt19937 rng(5);
  for (int trial = 0; trial < 100; ++trial) {
    const int32_t n = 1 + trial % 5;
    auto probs = random_rows(rng, n, 7);
    std::vector<float> logp(probs.size());
    for (size_t i = 0; i < probs.size(); ++i) logp[i] = std::log(probs[i]);
    const auto path = viterbi(logp.data(), n, bio);
    EXPECT_TRUE(valid_bio(path));
    EXPECT_NEAR(path_score(logp, path, bio), brute_best(logp, n, bio), 1e-4);
  }
}

TEST(ConstrainedDecode, NeverInvalidAndGreedyWhereGreedyIsValid) {
  std::mt19937 rng(3);
  int differed = 0;
  for (int trial = 0; trial < 500; ++trial) {
    const int32_t types = 1 + trial % 3, tags = 1 + 2 * types;
    // words of 1-3 sub-words; every 7th word has none (only deleted characters)
    std::vector<CharRange> words, offsets;
    int32_t at = 0;
    const int32_t n_words = 1 + trial % 9;
    for (int32_t w = 0; w < n_words; ++w) {
      const int32_t pieces = (w % 7 == 6) ? 0 : 1 + static_cast<int32_t>(rng() % 3);
      const int32_t len = std::max(pieces, 1) * 2;
      words.push_back({at, at + len});
      for (int32_t p = 0; p < pieces; ++p) offsets.push_back({at + 2 * p, at + 2 * p + 2});
      at += len + 1;
    }
    const auto probs = random_rows(rng, static_cast<int32_t>(offsets.size()), tags);
    for (auto agg : {Aggregation::first, Aggregation::average, Aggregation::max}) {
      const auto c = decode_tags(probs.data(), static_cast<int32_t>(offsets.size()), tags, offsets, words, agg,
                                 DecodeMode::constrained);
      const auto g = decode_tags(probs.data(), static_cast<int32_t>(offsets.size()), tags, offsets, words, agg,
                                 DecodeMode::greedy);
      ASSERT_TRUE(valid_bio(c.word_tags)) << "trial " << trial;
      if (valid_bio(g.word_tags)) {
        EXPECT_EQ(c.word_tags, g.word_tags) << "trial " << trial;
      } else {
        ++differed;
      }
      for (size_t w = 0; w < words.size(); ++w) EXPECT_GE(c.word_scores[w], 0.0f);
      for (const auto& s : c.spans) EXPECT_LT(s.start, s.end);
    }
  }
  EXPECT_GT(differed, 50) << "the random cases must include greedy outputs that break BIO";
}

TEST(ConstrainedDecode, FixesAnInsideTagThatOpensAnEntity) {
  // O, B-0, I-0 over two one-piece words: greedy says [I-0, I-0] (an I- opening the entity);
  // the best valid sequence is [B-0, I-0].
  const std::vector<float> probs = {0.1f, 0.35f, 0.55f,   // word 0
                                    0.1f, 0.2f, 0.7f};    // word 1
  const std::vector<CharRange> words = {{0, 3}, {4, 7}}, offsets = words;
  const auto g = decode_tags(probs.data(), 2, 3, offsets, words, Aggregation::first, DecodeMode::greedy);
  const auto c = decode_tags(probs.data(), 2, 3, offsets, words, Aggregation::first, DecodeMode::constrained);
  EXPECT_EQ(g.word_tags, (std::vector<int32_t>{2, 2}));
  EXPECT_EQ(c.word_tags, (std::vector<int32_t>{1, 2}));
  ASSERT_EQ(c.spans.size(), 1u);
  EXPECT_EQ(c.spans[0].start, 0);
  EXPECT_EQ(c.spans[0].end, 7);
  EXPECT_NEAR(c.word_scores[0], 0.35f, 1e-6);
  EXPECT_EQ(parse_decode_mode("constrained"), DecodeMode::constrained);
  EXPECT_EQ(parse_decode_mode("greedy"), DecodeMode::greedy);
  EXPECT_FALSE(parse_decode_mode("crf-ish"));
}
