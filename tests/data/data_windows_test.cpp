// Long transcripts: window layout, most-central ownership, features with special tokens,
// and a 10,000-sub-word transcript with entities straddling every window edge whose
// merged predictions decode to the gold spans even though every window is wrong near its
// own edges.
#include <gtest/gtest.h>

#include <random>

#include "core/error.h"
#include "data/align.h"
#include "data/decode.h"
#include "data/windows.h"
#include "tests/data/data_test_util.h"

namespace triage::data {
namespace {

TEST(Windows, LayoutCoversEverythingWithTheStrideAsOverlap) {
  WindowOptions o{12, 4};  // content 10, step 6
  EXPECT_EQ(make_windows(10, o), (std::vector<Window>{{0, 10}}));
  EXPECT_EQ(make_windows(0, o), (std::vector<Window>{{0, 0}}));
  EXPECT_EQ(make_windows(23, o), (std::vector<Window>{{0, 10}, {6, 16}, {12, 22}, {13, 23}}));
  EXPECT_THROW(make_windows(5, WindowOptions{12, 10}), InputError);
  EXPECT_THROW(make_windows(5, WindowOptions{2, 0}), InputError);
  for (int32_t n : {11, 16, 17, 100, 1001}) {
    auto w = make_windows(n, o);
    EXPECT_EQ(w.front().begin, 0);
    EXPECT_EQ(w.back().end, n);
    for (size_t k = 0; k < w.size(); ++k) {
      EXPECT_EQ(w[k].end - w[k].begin, 10);
      if (k) {
        EXPECT_GE(w[k - 1].end - w[k].begin, 4);  // at least the stride shared
      }
    }
  }
}

TEST(Windows, OwnerIsTheMostCentralWindow) {
  std::vector<Window> w = {{0, 10}, {6, 16}};
  std::vector<int32_t> owner = window_owners(w, 16);
  // Overlap 6..9: centrality in w0 = 9 - i, in w1 = i - 6; ties go to the earlier window.
  EXPECT_EQ(owner, (std::vector<int32_t>{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1}));
}

TEST(Windows, FeaturesAddSpecialTokensAndKeepLabels) {
  EncodedExample enc;
  enc.ids = {10, 11, 12, 13, 14};
  enc.labels = {0, 1, 2, -100, 0};
  enc.intent = 3;
  SpecialTokens sp;
  sp.cls = 2;
  sp.sep = 3;
  std::vector<Feature> f;
  append_features(enc, 7, sp, WindowOptions{5, 1}, f);  // content 3, step 2
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].input_ids, (std::vector<int32_t>{2, 10, 11, 12, 3}));
  EXPECT_EQ(f[0].labels, (std::vector<int32_t>{-100, 0, 1, 2, -100}));
  EXPECT_EQ(f[1].input_ids, (std::vector<int32_t>{2, 12, 13, 14, 3}));
  EXPECT_EQ(f[1].span, (Window{2, 5}));
  EXPECT_EQ(f[1].example, 7);
  EXPECT_EQ(f[1].intent, 3);
}

TEST(Windows, TenThousandTokenTranscriptDecodesToGold) {
  auto tok = testing::tiny_tokenizer();
  const WindowOptions wo{64, 16};  // content 62, step 46
  // Windows are known before the text: 10,000 one-piece words give 10,000 sub-words.
  const int32_t n = 10000;
  const std::vector<Window> windows = make_windows(n, wo);
  ASSERT_GT(windows.size(), 200u);
  // Entities straddle every window edge: [edge - 2, edge + 1) in word (= sub-word) indices,
  // alternating types, plus entities exactly starting and ending at edges.
  std::vector<std::pair<int32_t, int32_t>> ent_words;
  std::vector<int32_t> edges;
  for (const Window& w : windows) edges.push_back(w.begin), edges.push_back(w.end);
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  int32_t last_end = 0;
  for (size_t k = 0; k < edges.size(); ++k) {
    const int32_t e = edges[k];
    const int32_t b = std::max(last_end + 1, e - 2);
    const int32_t end = std::min(n, std::max(b + 1, e + (k % 3 == 0 ? 0 : 1)));
    if (b >= end || b < 1) continue;
    ent_words.emplace_back(b, end);
    last_end = end;
  }
  ASSERT_GT(ent_words.size(), 300u);
  // Build the transcript: word i is "x", "y" or "z" (one sub-word each), turns of 50 words.
  std::vector<std::pair<std::string, std::string>> turns;
  std::mt19937 rng(7);
  for (int32_t t = 0; t * 50 < n; ++t) {
    std::string text;
    for (int32_t i = t * 50; i < std::min(n, (t + 1) * 50); ++i) {
      if (!text.empty()) text += ' ';
      text += "xyz"[rng() % 3];
    }
    turns.emplace_back("", text);  // no speaker prefix, so word i is sub-word i
  }
  Example ex = make_turns_example("long", turns);
  ASSERT_EQ(static_cast<int32_t>(ex.words.size()), n);
  for (size_t k = 0; k < ent_words.size(); ++k) {
    const CharRange r = word_span(ex, ent_words[k].first, ent_words[k].second);
    ex.entities.push_back({r.start, r.end, k % 2 ? "city" : "order_id"});
  }
  LabelSchema schema = LabelSchema::from_examples({ex});
  EncodedExample enc = encode_example(*tok, ex, &schema);
  ASSERT_EQ(static_cast<int32_t>(enc.size()), n);
  // Each window's "model" is right except within 4 sub-words of its own inner edges, where
  // it confidently predicts a wrong tag; merging must take every prediction elsewhere.
  const int32_t C = schema.num_tags();
  std::vector<std::vector<float>> per_window;
  std::vector<const float*> rows;
  for (const Window& w : windows) {
    std::vector<float> p(static_cast<size_t>(w.end - w.begin) * static_cast<size_t>(C), 0.0f);
    for (int32_t i = w.begin; i < w.end; ++i) {
      const bool near_left = w.begin > 0 && i - w.begin < 4;
      const bool near_right = w.end < n && w.end - 1 - i < 4;
      const int32_t gold = enc.labels[static_cast<size_t>(i)];
      const int32_t tag = (near_left || near_right) ? (gold == 0 ? 1 : 0) : gold;
      p[static_cast<size_t>(i - w.begin) * static_cast<size_t>(C) + static_cast<size_t>(tag)] = 1.0f;
    }
    per_window.push_back(std::move(p));
  }
  for (const auto& p : per_window) rows.push_back(p.data());
  std::vector<float> merged;
  merge_windows(windows, rows, n, C, merged);
  Decoded d = decode_tags(merged.data(), n, C, enc.offsets, ex.words, Aggregation::first);
  ASSERT_EQ(d.spans.size(), ex.entities.size());
  for (size_t k = 0; k < d.spans.size(); ++k) {
    EXPECT_EQ(d.spans[k].start, ex.entities[k].start) << k;
    EXPECT_EQ(d.spans[k].end, ex.entities[k].end) << k;
    EXPECT_EQ(schema.entity_types()[static_cast<size_t>(d.spans[k].type)], ex.entities[k].label);
  }
  // The features are what the model sees: every window fits max_seq_len.
  std::vector<Feature> feats;
  append_features(enc, 0, tok->special(), wo, feats);
  EXPECT_EQ(feats.size(), windows.size());
  for (const Feature& f : feats) EXPECT_LE(f.size(), wo.max_seq_len);
}

}  // namespace
}  // namespace triage::data
