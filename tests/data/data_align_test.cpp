// Label schema, sub-word alignment (both label modes) and the shared decode path
// (first / average / max aggregation), on a tiny in-memory WordPiece vocabulary.
#include <gtest/gtest.h>

#include "core/error.h"
#include "data/align.h"
#include "data/decode.h"
#include "data/labels.h"
#include "tests/data/data_test_util.h"

namespace triage::data {
namespace {

Example with_entities(std::string text, std::vector<EntitySpan> ents, std::string intent = "") {
  Example e = make_text_example("t", std::move(text));
  e.entities = std::move(ents);
  e.intent = std::move(intent);
  return e;
}

// One-hot probabilities from labels; ignored positions get a confidently wrong row so a
// test fails if decode looks at them.
std::vector<float> one_hot(const std::vector<int32_t>& labels, int32_t n_tags, int32_t wrong) {
  std::vector<float> p(labels.size() * static_cast<size_t>(n_tags), 0.0f);
  for (size_t i = 0; i < labels.size(); ++i)
    p[i * static_cast<size_t>(n_tags) + static_cast<size_t>(labels[i] < 0 ? wrong : labels[i])] = 1.0f;
  return p;
}

std::vector<EntitySpan> named(const std::vector<PredictedSpan>& spans, const LabelSchema& s) {
  std::vector<EntitySpan> out;
  for (const PredictedSpan& p : spans)
    out.push_back({p.start, p.end, s.entity_types()[static_cast<size_t>(p.type)]});
  return out;
}

TEST(LabelSchema, TagsIdsJsonAndUnseen) {
  std::vector<Example> train = {with_entities("a b", {{0, 1, "zeta"}}, "refund"),
                                with_entities("a b", {{2, 3, "alpha"}}, "billing")};
  LabelSchema s = LabelSchema::from_examples(train);
  EXPECT_EQ(s.tags(), (std::vector<std::string>{"O", "B-alpha", "I-alpha", "B-zeta", "I-zeta"}));
  EXPECT_EQ(s.tag_id("I-zeta"), 4);
  EXPECT_EQ(s.intent_id("refund"), 1);
  EXPECT_EQ(s.intent_id("nope"), -1);
  EXPECT_EQ(LabelSchema::type_of_tag(4), 1);
  EXPECT_TRUE(LabelSchema::is_begin(3));
  EXPECT_EQ(LabelSchema::from_json(s.to_json()), s);
  std::vector<Example> test = {with_entities("a b", {{0, 1, "gamma"}, {2, 3, "gamma"}}, "atis_only")};
  UnseenLabels u = s.unseen(test);
  EXPECT_EQ(u.entity_types.at("gamma"), 2);
  EXPECT_EQ(u.intents.at("atis_only"), 1);
  nlohmann::json bad = s.to_json();
  bad["tags"][1] = "B-zeta";
  EXPECT_THROW(LabelSchema::from_json(bad), InputError);
}

TEST(Align, FirstSubwordAndAllSubwords) {
  auto tok = testing::tiny_tokenizer();
  // "abcdef" = ab ##cd ##ef
  Example e = with_entities("my order abcdef is late", {{3, 15, "order_id"}}, "refund");
  LabelSchema s({"order_id"}, {"refund"});
  EncodedExample first = encode_example(*tok, e, &s);
  ASSERT_EQ(first.size(), 7u);
  EXPECT_EQ(first.word_ids, (std::vector<int32_t>{0, 1, 2, 2, 2, 3, 4}));
  EXPECT_EQ(first.labels, (std::vector<int32_t>{0, 1, 2, -100, -100, 0, 0}));
  EXPECT_EQ(first.offsets[3], (CharRange{11, 13}));
  EXPECT_EQ(first.intent, 0);
  EncodeOptions all;
  all.label_mode = LabelMode::all_subwords;
  EXPECT_EQ(encode_example(*tok, e, &s, all).labels, (std::vector<int32_t>{0, 1, 2, 2, 2, 0, 0}));
  // Without a schema: ids and alignment only.
  EncodedExample bare = encode_example(*tok, e, nullptr);
  EXPECT_TRUE(bare.labels.empty());
  EXPECT_EQ(bare.intent, kIgnoreLabel);
}

TEST(Align, SpanCuttingAWordLabelsTheSubwordsItTouches) {
  auto tok = testing::tiny_tokenizer();
  // "order12" = order ##1 ##2; the span covers "12" only.
  Example e = with_entities("my order12 is late", {{8, 10, "order_id"}});
  LabelSchema s({"order_id"}, {});
  EncodeOptions all;
  all.label_mode = LabelMode::all_subwords;
  EncodedExample enc = encode_example(*tok, e, &s, all);
  EXPECT_EQ(enc.cut_spans, 1);
  EXPECT_EQ(enc.labels, (std::vector<int32_t>{0, 1, 1, 1, 0, 0}));
  // Decoding widens it to the whole word: spans are unions of words.
  std::vector<float> p = one_hot(enc.labels, s.num_tags(), 0);
  Decoded d = decode_tags(p.data(), 6, s.num_tags(), enc.offsets, e.words, Aggregation::max);
  EXPECT_EQ(named(d.spans, s), (std::vector<EntitySpan>{{3, 10, "order_id"}}));
}

TEST(Align, UnseenEntityTypeIsIgnoredNotFatal) {
  auto tok = testing::tiny_tokenizer();
  Example e = with_entities("john smith to paris", {{0, 10, "person"}, {14, 19, "city"}}, "new_intent");
  LabelSchema s({"city"}, {"refund"});
  EncodedExample enc = encode_example(*tok, e, &s);
  EXPECT_EQ(enc.unseen_entities, 1);
  EXPECT_EQ(enc.labels, (std::vector<int32_t>{-100, -100, 0, 1}));
  EXPECT_EQ(enc.intent, kIgnoreLabel);
}

TEST(Decode, AggregationStrategies) {
  // Words: "abcdef" (3 sub-words) and "late"; tags O, B-x, I-x.
  std::vector<CharRange> words = {{0, 6}, {7, 11}};
  std::vector<CharRange> offsets = {{0, 2}, {2, 4}, {4, 6}, {7, 11}};
  std::vector<float> p = {
      0.60f, 0.40f, 0.00f,  // ab: O wins
      0.00f, 0.95f, 0.05f,  // ##cd: B confident
      0.20f, 0.70f, 0.10f,  // ##ef: B
      0.90f, 0.05f, 0.05f,  // late: O
  };
  Decoded first = decode_tags(p.data(), 4, 3, offsets, words, Aggregation::first);
  EXPECT_EQ(first.word_tags, (std::vector<int32_t>{0, 0}));
  EXPECT_TRUE(first.spans.empty());
  Decoded avg = decode_tags(p.data(), 4, 3, offsets, words, Aggregation::average);
  EXPECT_EQ(avg.word_tags, (std::vector<int32_t>{1, 0}));
  EXPECT_NEAR(avg.word_scores[0], (0.40f + 0.95f + 0.70f) / 3, 1e-6);
  ASSERT_EQ(avg.spans.size(), 1u);
  EXPECT_EQ(avg.spans[0].start, 0);
  EXPECT_EQ(avg.spans[0].end, 6);
  Decoded mx = decode_tags(p.data(), 4, 3, offsets, words, Aggregation::max);
  EXPECT_EQ(mx.word_tags, (std::vector<int32_t>{1, 0}));
  EXPECT_NEAR(mx.spans[0].score, 0.95f, 1e-6);
}

TEST(Decode, SpansNeverIncludeWhitespaceAndGroupLeniently) {
  // "  john   smith \n paris " : I- after O starts an entity, a type change splits one.
  Example e = make_text_example("t", "  john   smith \n paris ");
  ASSERT_EQ(e.words.size(), 3u);
  std::vector<int32_t> tags = {2, 2, 4};  // I-a I-a I-b
  std::vector<PredictedSpan> spans = spans_from_word_tags(tags, e.words);
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].start, 2);
  EXPECT_EQ(spans[0].end, 14);
  EXPECT_EQ(spans[1].start, 17);
  EXPECT_EQ(spans[1].end, 22);
  // B- always starts a new entity.
  EXPECT_EQ(spans_from_word_tags({1, 1, 2}, e.words).size(), 2u);
}

TEST(Decode, GoldRoundTripEveryModeAndAggregation) {
  auto tok = testing::tiny_tokenizer();
  Example e = make_turns_example("t", {{"customer", "my order abcdef, ab-12 is late"},
                                       {"agent", "john smith to paris?"}});
  // "abcdef" and "ab-12" in turn 0, "john smith" and "paris" in turn 1.
  const int32_t t0 = e.turns[0].offset, t1 = e.turns[1].offset;
  e.entities = {{t0 + 9, t0 + 15, "order_id"}, {t0 + 17, t0 + 22, "order_id"},
                {t1 + 0, t1 + 10, "name"}, {t1 + 14, t1 + 19, "city"}};
  LabelSchema s = LabelSchema::from_examples({e});
  for (LabelMode mode : {LabelMode::first_subword, LabelMode::all_subwords}) {
    EncodeOptions o;
    o.label_mode = mode;
    EncodedExample enc = encode_example(*tok, e, &s, o);
    std::vector<float> p = one_hot(enc.labels, s.num_tags(), 3);
    for (Aggregation a : {Aggregation::first, Aggregation::average, Aggregation::max}) {
      if (mode == LabelMode::first_subword && a != Aggregation::first) continue;
      Decoded d = decode_tags(p.data(), static_cast<int32_t>(enc.size()), s.num_tags(), enc.offsets,
                              e.words, a);
      EXPECT_EQ(named(d.spans, s), e.entities) << aggregation_name(a);
    }
  }
}

}  // namespace
}  // namespace triage::data
