// Property test over real data: for every example of ../shared/datasets (bitext_cs in both
// its JointBERT and JSONL forms, SNIPS) and of the generated sample corpus, encoding the
// gold labels with the real BERT uncased tokenizer and decoding them back returns the
// original spans exactly, in both label modes and with every aggregation. The only
// exception is a span whose edge falls inside a word (bitext_cs has 18): decode works on
// whole words, so it returns the span widened to its words; such spans are counted by the
// reader and checked against that exact widening here. Exits 77 (skipped) without
// ../shared.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>

#include "data/align.h"
#include "data/decode.h"
#include "data/readers.h"
#include "data/tokenizer.h"
#include "tests/data/data_test_util.h"
#ifdef TRIAGE_HAVE_GENERATE
#include "data/generate/generate.h"
#endif

namespace triage::data {
namespace {

namespace fs = std::filesystem;

const Tokenizer& bert() {
  static std::unique_ptr<Tokenizer> t =
      load_tokenizer(testing::shared_dir() / "fixtures" / "wordpiece-uncased");
  return *t;
}

// Gold spans as decode must return them: each widened to the words it overlaps.
std::vector<EntitySpan> expected_spans(const Example& e) {
  std::vector<EntitySpan> out;
  for (const WordEntity& w : word_entities(e)) {
    const CharRange r = word_span(e, w.begin, w.end);
    out.push_back({r.start, r.end, w.label});
  }
  return out;
}

struct Totals {
  int64_t examples = 0, spans = 0, exact = 0, widened = 0;
};

void check_source(const fs::path& path, Format format, Totals& totals) {
  Diagnostics diag;
  std::vector<Example> examples;
  const ReadStats st = read_examples(path, format, {}, diag,
                                     [&](Example&& e) { examples.push_back(std::move(e)); });
  ASSERT_GT(examples.size(), 0u) << path;
  const LabelSchema schema = LabelSchema::from_examples(examples);
  const int32_t C = schema.num_tags();
  int64_t widened = 0;
  for (const Example& e : examples) {
    const std::vector<EntitySpan> want = expected_spans(e);
    ASSERT_EQ(want.size(), e.entities.size()) << e.source.file << ":" << e.source.line;
    for (size_t k = 0; k < want.size(); ++k) {
      if (want[k] == e.entities[k]) ++totals.exact;
      else ++widened;
    }
    for (LabelMode mode : {LabelMode::first_subword, LabelMode::all_subwords}) {
      EncodeOptions o;
      o.label_mode = mode;
      const EncodedExample enc = encode_example(bert(), e, &schema, o);
      std::vector<float> p(enc.size() * static_cast<size_t>(C), 0.0f);
      for (size_t i = 0; i < enc.size(); ++i) {
        const int32_t l = enc.labels[i] < 0 ? 1 % C : enc.labels[i];  // ignored: wrong on purpose
        p[i * static_cast<size_t>(C) + static_cast<size_t>(l)] = 1.0f;
      }
      for (Aggregation a : {Aggregation::first, Aggregation::average, Aggregation::max}) {
        if (mode == LabelMode::first_subword && a != Aggregation::first) continue;
        const Decoded d = decode_tags(p.data(), static_cast<int32_t>(enc.size()), C, enc.offsets,
                                      e.words, a);
        std::vector<EntitySpan> got;
        for (const PredictedSpan& s : d.spans)
          got.push_back({s.start, s.end, schema.entity_types()[static_cast<size_t>(s.type)]});
        ASSERT_EQ(got, want) << e.source.file << ":" << e.source.line << " mode "
                             << (mode == LabelMode::first_subword ? "first_subword" : "all_subwords")
                             << " aggregation " << aggregation_name(a) << " text: " << e.text;
      }
    }
  }
  EXPECT_EQ(widened, st.cut_spans) << path << ": every non-exact span is one the reader counted";
  totals.examples += static_cast<int64_t>(examples.size());
  totals.spans += st.entities;
  totals.widened += widened;
  std::cout << path.string() << " (" << format_name(format) << "): " << examples.size()
            << " examples, " << st.entities << " spans, " << widened << " cut through a word\n";
}

TEST(RoundTrip, BitextJointBertAndJsonl) {
  const fs::path root = testing::shared_dir() / "datasets" / "bitext_cs";
  Totals t;
  for (const char* split : {"train", "dev", "test"}) {
    check_source(root / split, Format::jointbert, t);
    check_source(root / (std::string(split) + ".jsonl"), Format::jsonl, t);
  }
  EXPECT_EQ(t.examples, 2 * (6480 + 810 + 810));
  // JointBERT words are whitespace tokens, so no span can cut one.
  EXPECT_LE(t.widened, 18);
}

TEST(RoundTrip, Snips) {
  const fs::path root = testing::shared_dir() / "datasets" / "snips";
  Totals t;
  for (const char* split : {"train", "dev", "test"}) check_source(root / split, Format::jointbert, t);
  EXPECT_EQ(t.examples, 13084 + 700 + 700);
  EXPECT_EQ(t.widened, 0);
}

#ifdef TRIAGE_HAVE_GENERATE
TEST(RoundTrip, GeneratedSampleCorpus) {
  testing::TempDir dir;
  generate_corpus(dir.path(), 13, GenerateOptions{});
  Totals t;
  for (const char* split : {"train", "dev", "test"})
    check_source(dir.path() / (std::string(split) + ".jsonl"), Format::jsonl, t);
  EXPECT_EQ(t.examples, 2000 + 300 + 300);
}
#endif

}  // namespace
}  // namespace triage::data

int main(int argc, char** argv) {
  const auto shared = triage::data::testing::shared_dir();
  if (!std::filesystem::exists(shared / "datasets" / "bitext_cs") ||
      !std::filesystem::exists(shared / "datasets" / "snips") ||
      !std::filesystem::exists(shared / "fixtures" / "wordpiece-uncased")) {
    std::cerr << "skipped: " << shared << " (datasets/bitext_cs, datasets/snips, "
              << "fixtures/wordpiece-uncased) is absent\n";
    return 77;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
