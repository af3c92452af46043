// Unit tests for triage_eval: seqeval chunking edge cases (default and strict), report
// arithmetic against the libraries' documented examples, the printed layouts, the
// predictions reader. The Python oracle (scripts/parity/eval_oracle.py)
// covers random sets; these pin the cases by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "eval/chunking.h"
#include "eval/classification_report.h"
#include "eval/entity_report.h"
#include "eval/evaluate.h"
#include "eval/predictions.h"
#include "eval/scores.h"

namespace ev = triage::eval;
using Tags = std::vector<std::string>;

namespace {

std::vector<std::tuple<std::string, int64_t, int64_t>> spans(const std::vector<ev::Entity>& es) {
  std::vector<std::tuple<std::string, int64_t, int64_t>> out;
  for (const auto& e : es) out.emplace_back(e.type, e.first, e.last);
  return out;
}
using S = std::vector<std::tuple<std::string, int64_t, int64_t>>;

}  // namespace

// ---- default (lenient) chunking: seqeval get_entities ---------------------------------

TEST(DefaultChunking, DocstringExample) {
  EXPECT_EQ(spans(ev::get_entities(Tags{"B-PER", "I-PER", "O", "B-LOC"})), (S{{"PER", 0, 1}, {"LOC", 3, 3}}));
}

TEST(DefaultChunking, InvalidIStartBeginsAChunk) {
  EXPECT_EQ(spans(ev::get_entities(Tags{"O", "I-PER", "I-PER"})), (S{{"PER", 1, 2}}));
  EXPECT_EQ(spans(ev::get_entities(Tags{"I-PER"})), (S{{"PER", 0, 0}}));
  // A type change inside I- runs ends one chunk and starts another.
  EXPECT_EQ(spans(ev::get_entities(Tags{"B-PER", "I-LOC", "I-LOC"})), (S{{"PER", 0, 0}, {"LOC", 1, 2}}));
}

TEST(DefaultChunking, IobesAndIoePrefixes) {
  EXPECT_EQ(spans(ev::get_entities(Tags{"S-PER", "B-LOC", "E-LOC", "O"})), (S{{"PER", 0, 0}, {"LOC", 1, 2}}));
  // E- ends a chunk; a following I- of the same type starts a new one.
  EXPECT_EQ(spans(ev::get_entities(Tags{"I-X", "E-X", "I-X"})), (S{{"X", 0, 1}, {"X", 2, 2}}));
  // IOB1: B- only between two chunks of the same type.
  EXPECT_EQ(spans(ev::get_entities(Tags{"I-X", "I-X", "B-X", "I-Y"})), (S{{"X", 0, 1}, {"X", 2, 2}, {"Y", 3, 3}}));
}

TEST(DefaultChunking, BareAndOddTags) {
  EXPECT_EQ(spans(ev::get_entities(Tags{"B", "I", "O"})), (S{{"_", 0, 1}}));
  // Type is what follows the first '-'.
  EXPECT_EQ(spans(ev::get_entities(Tags{"B-pick-up", "I-pick-up"})), (S{{"pick-up", 0, 1}}));
  // seqeval quirk: a tag whose prefix is none of B I E S O and whose type is "_" never
  // ends before an O, so the chunk is dropped.
  EXPECT_TRUE(ev::get_entities(Tags{"X", "O", "O"}).empty());
}

TEST(DefaultChunking, SentencesAreFlattenedWithAnOBetween) {
  const ev::Sentences s = {{"B-A", "I-A"}, {"I-A"}, {}, {"B-B"}};
  // positions: 0 1 [2=O] 3 [4=O] [5=O] 6 [7=O]
  EXPECT_EQ(spans(ev::get_entities(s)), (S{{"A", 0, 1}, {"A", 3, 3}, {"B", 6, 6}}));
}

// ---- strict chunking: seqeval.scheme ---------------------------------------------------

TEST(StrictChunking, Iob2IgnoresStrayI) {
  EXPECT_TRUE(ev::strict_entities(Tags{"I-PER", "I-PER"}, ev::Scheme::IOB2).empty());
  EXPECT_EQ(spans(ev::strict_entities(Tags{"B-PER", "I-PER", "I-LOC", "B-LOC"}, ev::Scheme::IOB2)),
            (S{{"PER", 0, 1}, {"LOC", 3, 3}}));
  // Bare prefixes are type "_"; the tag strips '-' on both sides.
  EXPECT_EQ(spans(ev::strict_entities(Tags{"B", "I", "B--x-"}, ev::Scheme::IOB2)), (S{{"_", 0, 1}, {"x", 2, 2}}));
}

TEST(StrictChunking, InvalidPrefixThrowsWithPosition) {
  try {
    ev::strict_entities(Tags{"O", "E-PER"}, ev::Scheme::IOB2, 7);
    FAIL() << "no TagError";
  } catch (const ev::TagError& e) {
    EXPECT_EQ(e.sentence(), 7);
    EXPECT_EQ(e.token(), 1);
    EXPECT_NE(std::string(e.what()).find("E-PER"), std::string::npos);
  }
  EXPECT_THROW(ev::strict_entities(Tags{"X-PER"}, ev::Scheme::IOB2), ev::TagError);
}

TEST(StrictChunking, Iobes) {
  EXPECT_EQ(spans(ev::strict_entities(Tags{"S-A", "B-B", "I-B", "E-B", "B-C", "O"}, ev::Scheme::IOBES)),
            (S{{"A", 0, 0}, {"B", 1, 3}}));  // B-C without E- is no entity
}

TEST(StrictChunking, AutoDetectAndNames) {
  EXPECT_EQ(ev::auto_detect({{"B-A", "I-A", "O"}}), ev::Scheme::IOB2);
  EXPECT_EQ(ev::auto_detect({{"S-A", "B-A", "E-A"}}), ev::Scheme::IOBES);
  EXPECT_EQ(ev::auto_detect({{"I-A", "E-A"}}), ev::Scheme::IOE2);
  EXPECT_THROW(ev::auto_detect({{"O"}}), ev::TagError);
  EXPECT_EQ(ev::parse_scheme("IOBES"), ev::Scheme::IOBES);
  EXPECT_FALSE(ev::parse_scheme("iob2").has_value());
}

// ---- arithmetic -----------------------------------------------------------------------

TEST(Scores, NumpyPairwiseSum) {
  // numpy: 6.0 (8 accumulators); a left-to-right sum gives 0.0.
  const std::vector<double> v = {1e16, 1, 1, 1, 1, 1, 1, 1, -1e16};
  EXPECT_EQ(ev::numpy_sum(v), 6.0);
  EXPECT_TRUE(std::isnan(ev::numpy_mean({})));
  const std::vector<double> vals = {0.5, 1.0};
  const std::vector<int64_t> w = {3, 1};
  EXPECT_DOUBLE_EQ(ev::numpy_weighted_mean(vals, w), 0.625);
}

TEST(ClassificationReport, SklearnDocstringExample) {
  const auto r = ev::classification_report({"0", "1", "2", "2", "2"}, {"0", "0", "2", "2", "1"});
  ASSERT_EQ(r.labels.size(), 3u);
  EXPECT_DOUBLE_EQ(r.labels[0].scores.precision, 0.5);
  EXPECT_DOUBLE_EQ(r.labels[2].scores.recall, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.accuracy, 0.6);
  EXPECT_EQ(ev::format_report(r, 2),
            "              precision    recall  f1-score   support\n\n"
            "           0       0.50      1.00      0.67         1\n"
            "           1       0.00      0.00      0.00         1\n"
            "           2       1.00      0.67      0.80         3\n\n"
            "    accuracy                           0.60         5\n"
            "   macro avg       0.50      0.56      0.49         5\n"
            "weighted avg       0.70      0.60      0.61         5\n");
}

TEST(ClassificationReport, LabelsOnlyInPredictionsAndFloatSupportQuirk) {
  const auto r = ev::classification_report({"a", "b"}, {"b", "c"});
  ASSERT_EQ(r.labels.size(), 3u);
  EXPECT_EQ(r.labels[2].label, "c");
  EXPECT_EQ(r.labels[2].scores.support, 0);
  EXPECT_EQ(r.labels[2].scores.precision, 0.0);
  // Nothing right: sklearn's counts are floats and print as "1.0".
  EXPECT_NE(ev::format_report(r, 2).find("       1.0\n"), std::string::npos);
  EXPECT_NE(ev::format_report(r, 2).find("    accuracy                           0.00       2.0\n"),
            std::string::npos);
}

TEST(ClassificationReport, WidthCountsCodePoints) {
  const auto r = ev::classification_report({"B-città_lunghissima"}, {"B-città_lunghissima"});
  // 19 code points (20 bytes): the name column is 19 wide.
  EXPECT_EQ(ev::format_report(r, 2).substr(0, 19 + 2), std::string(19 + 2, ' '));
  EXPECT_EQ(ev::format_report(r, 2).find("B-città_lunghissima"), std::string(ev::format_report(r, 2)).find("\n\n") + 2);
}

TEST(EntityReport, SeqevalDocstringExample) {
  const ev::Sentences gold = {{"O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"}, {"B-PER", "I-PER", "O"}};
  const ev::Sentences pred = {{"O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"}, {"B-PER", "I-PER", "O"}};
  const auto r = ev::entity_report(gold, pred);
  EXPECT_EQ(ev::format_entity_report(r, 2),
            "              precision    recall  f1-score   support\n\n"
            "        MISC       0.00      0.00      0.00         1\n"
            "         PER       1.00      1.00      1.00         1\n\n"
            "   micro avg       0.50      0.50      0.50         2\n"
            "   macro avg       0.50      0.50      0.50         2\n"
            "weighted avg       0.50      0.50      0.50         2\n");
  EXPECT_DOUBLE_EQ(ev::tag_accuracy(gold, pred), 0.8);
}

TEST(EntityReport, SeqevalF1Averages) {
  const ev::Sentences gold = {{"O", "O", "B-MISC", "I-MISC", "B-MISC", "O", "O"}, {"B-PER", "I-PER", "O"}};
  const ev::Sentences pred = {{"O", "O", "B-MISC", "I-MISC", "B-MISC", "I-MISC", "O"}, {"B-PER", "I-PER", "O"}};
  EXPECT_DOUBLE_EQ(ev::entity_f1(gold, pred), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(ev::entity_f1(gold, pred, {}, ev::Average::macro), 0.75);
  EXPECT_DOUBLE_EQ(ev::entity_f1(gold, pred, {}, ev::Average::weighted), 2.0 / 3.0);
}

TEST(EntityReport, NoEntitiesAnywhere) {
  const auto r = ev::entity_report({{"O", "O"}}, {{"O", "O"}});
  EXPECT_TRUE(r.types.empty());
  EXPECT_EQ(r.micro_avg.f1, 0.0);
  EXPECT_TRUE(std::isnan(r.macro_avg.f1));  // numpy mean of nothing
  EXPECT_EQ(r.weighted_avg.f1, 0.0);        // seqeval's early return
  EXPECT_TRUE(ev::entity_report_json(r)["macro avg"]["f1-score"].is_null());
}

TEST(EntityReport, OnlySpuriousEntities) {
  const auto r = ev::entity_report({{"O", "O"}}, {{"B-X", "O"}});
  ASSERT_EQ(r.types.size(), 1u);
  EXPECT_EQ(r.types[0].scores.support, 0);
  EXPECT_EQ(r.weighted_avg.precision, 0.0);
  EXPECT_EQ(r.weighted_avg.support, 0);
}

TEST(EntityConfusion, MatchedMissedSpuriousAndMistyped) {
  const ev::Sentences gold = {{"B-A", "O", "B-B", "I-B", "B-A"}};
  const ev::Sentences pred = {{"B-B", "O", "B-B", "O", "O"}, };
  // A(0,0)->B(0,0) mistyped; B(2,3) missed (pred B(2,2) spurious); A(4,4) missed.
  const auto c = ev::entity_confusion(gold, pred);
  ASSERT_EQ(c.types, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(c.counts, (std::vector<std::vector<int64_t>>{{0, 1, 1}, {0, 0, 1}, {0, 1, 0}}));
}

// ---- predictions reader and evaluate ----------------------------------------------------

TEST(Predictions, ParsesIntentsDocstartAndColumns) {
  const auto set = ev::parse_predictions(
      "-DOCSTART- -X- O O\n\n# intent: a b\nw1 NN B-X B-X\nw2 NN O I-X\n\n\n# intent: c c\n\n# intent: d e\nw3 NN O O\n", "f");
  ASSERT_EQ(set.sentences.size(), 2u + 1u);
  EXPECT_EQ(set.sentences[0].gold, (Tags{"B-X", "O"}));
  EXPECT_EQ(set.sentences[0].pred, (Tags{"B-X", "I-X"}));
  EXPECT_EQ(*set.sentences[0].pred_intent, "b");
  EXPECT_EQ(set.sentences[0].line, 3);
  EXPECT_TRUE(set.sentences[1].gold.empty());  // intent line then blank: empty sentence
  EXPECT_EQ(*set.sentences[2].gold_intent, "d");
  EXPECT_EQ(set.sentences[2].token_lines, (std::vector<int64_t>{11}));
}

TEST(Predictions, ErrorsNameFileAndLine) {
  auto message = [](const std::string& text) {
    try {
      ev::parse_predictions(text, "p.conll");
    } catch (const triage::InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("a O O\nb O\n").find("p.conll:2: expected at least 3 columns"), std::string::npos);
  EXPECT_NE(message("a X O O\nb O O\n").find("p.conll:2: expected 4 columns"), std::string::npos);
  EXPECT_NE(message("a O O\n# intent: x y\n").find("p.conll:2:"), std::string::npos);
  EXPECT_NE(message("# intent: x y\na O O\n\nb O O\n").find("p.conll:4:"), std::string::npos);
  EXPECT_NE(message("\n\n").find("no tokens"), std::string::npos);
}

TEST(Evaluate, SentenceAccuracyAndStrictErrors) {
  const auto set = ev::parse_predictions("# intent: a a\nx B-X B-X\n\n# intent: a b\ny O O\n\n# intent: c c\nz O B-Y\n", "f");
  const auto r = ev::evaluate(set);
  EXPECT_DOUBLE_EQ(r.sentence_accuracy, 1.0 / 3.0);
  ASSERT_TRUE(r.intent_report.has_value());
  EXPECT_DOUBLE_EQ(r.intent_report->accuracy, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.token_report.accuracy, 2.0 / 3.0);
  const auto j = ev::result_json(r);
  EXPECT_EQ(j["sentences"], 3);
  EXPECT_DOUBLE_EQ(j["entity"]["f1"].get<double>(), r.entity_report.micro_avg.f1);

  const auto bad = ev::parse_predictions("x O O\ny O S-X\n", "bad.conll");
  EXPECT_NO_THROW(ev::evaluate(bad));  // default mode accepts any tag
  try {
    ev::evaluate(bad, {ev::Mode::strict, ev::Scheme::IOB2});
    FAIL() << "no error";
  } catch (const triage::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.conll:2: predicted column"), std::string::npos) << e.what();
  }
}
