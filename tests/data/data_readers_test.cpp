// Readers (CoNLL, JointBERT, JSONL), tag schemes and writers: what each format yields,
// that every error names file:line (and the span), and that conversions round-trip.
#include <gtest/gtest.h>

#include "core/error.h"
#include "data/readers.h"
#include "data/tag_scheme.h"
#include "data/writers.h"
#include "tests/data/data_test_util.h"

namespace triage::data {
namespace {

using testing::TempDir;

std::vector<Example> collect(const std::filesystem::path& p, Format f, Diagnostics& d,
                             const ReadOptions& o = {}) {
  std::vector<Example> out;
  read_examples(p, f, o, d, [&](Example&& e) { out.push_back(std::move(e)); });
  return out;
}

bool any_error_contains(const Diagnostics& d, const std::string& what) {
  for (const Diagnostic& e : d.errors())
    if (e.to_string().find(what) != std::string::npos) return true;
  return false;
}

std::vector<WordEntity> decode(std::initializer_list<const char*> tags, TagScheme s) {
  std::vector<std::string_view> v(tags.begin(), tags.end());
  return tags_to_entities(v, s).entities;
}

TEST(TagScheme, EverySchemeReadsToTheSameEntities) {
  const std::vector<WordEntity> gold = {{0, 2, "city"}, {2, 3, "city"}, {4, 5, "name"}};
  EXPECT_EQ(decode({"B-city", "I-city", "B-city", "O", "B-name"}, TagScheme::iob2), gold);
  EXPECT_EQ(decode({"I-city", "I-city", "B-city", "O", "I-name"}, TagScheme::iob1), gold);
  EXPECT_EQ(decode({"B-city", "E-city", "S-city", "O", "S-name"}, TagScheme::bioes), gold);
  EXPECT_EQ(decode({"B-city", "L-city", "U-city", "O", "U-name"}, TagScheme::bioes), gold);
  // IO cannot separate adjacent same-type entities: they merge.
  EXPECT_EQ(decode({"city", "city", "I-city", "O", "name"}, TagScheme::io),
            (std::vector<WordEntity>{{0, 3, "city"}, {4, 5, "name"}}));
}

TEST(TagScheme, WritesEachSchemeAndReadsItBack) {
  const std::vector<WordEntity> gold = {{0, 2, "city"}, {2, 3, "city"}, {4, 7, "name"}};
  for (TagScheme s : {TagScheme::iob1, TagScheme::iob2, TagScheme::bioes}) {
    std::vector<std::string> tags = entities_to_tags(gold, 8, s);
    std::vector<std::string_view> v(tags.begin(), tags.end());
    TagDecodeResult r = tags_to_entities(v, s);
    EXPECT_EQ(r.entities, gold) << tag_scheme_name(s);
    EXPECT_EQ(r.repairs, 0) << tag_scheme_name(s);
  }
  EXPECT_EQ(entities_to_tags(gold, 8, TagScheme::bioes),
            (std::vector<std::string>{"B-city", "E-city", "S-city", "O", "B-name", "I-name",
                                      "E-name", "O"}));
}

TEST(TagScheme, CountsRepairsInStrictSchemes) {
  std::vector<std::string_view> v = {"O", "I-city", "I-city"};
  EXPECT_EQ(tags_to_entities(v, TagScheme::iob2).repairs, 1);
  EXPECT_EQ(tags_to_entities(v, TagScheme::iob1).repairs, 0);
  EXPECT_EQ(tags_to_entities(v, TagScheme::iob2).entities, (std::vector<WordEntity>{{1, 3, "city"}}));
}

TEST(Conll, SentencesDocstartColumnsAndSchemes) {
  TempDir t;
  const auto f = t.write("a.conll",
                         "-DOCSTART- -X- O O\n\n"
                         "John NNP B-PER\nSmith NNP I-PER\nflew VBD O\nto TO O\nParis NNP S-LOC\n\n"
                         "\n"
                         "héllo UH O\r\n");
  Diagnostics d;
  ReadOptions o;
  o.scheme = TagScheme::bioes;
  auto ex = collect(f, Format::conll, d, o);
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[0].text, "John Smith flew to Paris");
  EXPECT_EQ(ex[0].entities, (std::vector<EntitySpan>{{0, 10, "PER"}, {19, 24, "LOC"}}));
  EXPECT_EQ(ex[0].source.line, 3);
  EXPECT_EQ(ex[0].id, "a-0");
  EXPECT_EQ(ex[1].text, "héllo");
  EXPECT_EQ(ex[1].words, (std::vector<CharRange>{{0, 5}}));
  // A chosen tag column (the POS column here) instead of the last.
  o.conll_tag_column = 1;
  Diagnostics d2;
  auto pos = collect(f, Format::conll, d2, o);
  ASSERT_EQ(pos.size(), 2u);
  EXPECT_EQ(pos[0].entities.size(), 4u);  // bare labels read as IO: NNP NNP merge
}

TEST(Conll, ErrorsNameTheLine) {
  TempDir t;
  const auto f = t.write("bad.conll", "ok O\nlonely\nfine O\n\nx B-\n\nbad \xff O\n");
  Diagnostics d(false);
  auto ex = collect(f, Format::conll, d);
  EXPECT_TRUE(ex.empty());
  ASSERT_EQ(d.errors().size(), 3u);
  EXPECT_EQ(d.errors()[0].to_string(), f.string() + ":2: expected at least 2 whitespace-separated columns (word ... tag), found 1");
  EXPECT_TRUE(any_error_contains(d, f.string() + ":5: tag 1 'B-'"));
  EXPECT_TRUE(any_error_contains(d, f.string() + ":7: invalid UTF-8"));
  Diagnostics strict;
  EXPECT_THROW(collect(f, Format::conll, strict), InputError);
}

TEST(JointBert, TrailingSpacesMultiIntentAndMismatch) {
  TempDir t;
  t.write("train/seq.in", "play the song \nbook a table at noon \nfly me\n");
  t.write("train/seq.out", "O O B-track \nO O O O B-time \nO O O\n");
  t.write("train/label", "PlayMusic\nBook#Time\nFly\n");
  Diagnostics d(false);
  auto ex = collect(t.path() / "train", Format::jointbert, d);
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[0].text, "play the song");
  EXPECT_EQ(ex[0].entities, (std::vector<EntitySpan>{{9, 13, "track"}}));
  EXPECT_EQ(ex[1].intent, "Book#Time");
  EXPECT_EQ(ex[1].id, "train-1");
  ASSERT_EQ(d.errors().size(), 1u);
  EXPECT_EQ(d.errors()[0].to_string(),
            (t.path() / "train/seq.in").string() + ":3: 2 tokens in seq.in but 3 tags in " +
                (t.path() / "train/seq.out").string() + ":3");
}

TEST(JointBert, LineCountMismatchIsAnError) {
  TempDir t;
  t.write("s/seq.in", "a b\nc\n");
  t.write("s/seq.out", "O O\n");
  Diagnostics d(false);
  collect(t.path() / "s", Format::jointbert, d);
  ASSERT_EQ(d.errors().size(), 1u);
  EXPECT_NE(d.errors()[0].message.find("different line counts"), std::string::npos);
}

TEST(Jsonl, TextAndTurnsForms) {
  TempDir t;
  const auto f = t.write(
      "x.jsonl",
      "{\"id\": \"a\", \"text\": \"refund order 123?\", \"entities\": [{\"start\": 13, \"end\": 16, \"label\": \"order_id\"}], \"intent\": \"refund\", \"category\": \"ORDER\"}\n"
      "\n"
      "{\"id\": 7, \"turns\": [{\"speaker\": \"customer\", \"text\": \"hi, I'm Zoë\"}, {\"speaker\": \"agent\", \"text\": \"hello Zoë\"}], "
      "\"entities\": [{\"turn\": 0, \"start\": 8, \"end\": 11, \"label\": \"name\"}, {\"turn\": 1, \"start\": 6, \"end\": 9, \"label\": \"name\"}], \"intent\": \"greet\"}\n");
  Diagnostics d;
  auto ex = collect(f, Format::jsonl, d);
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[0].id, "a");
  EXPECT_EQ(ex[0].entities, (std::vector<EntitySpan>{{13, 16, "order_id"}}));
  EXPECT_EQ(ex[0].words, (std::vector<CharRange>{{0, 6}, {7, 12}, {13, 16}, {16, 17}}));
  EXPECT_EQ(ex[0].extra, (std::vector<std::pair<std::string, std::string>>{{"category", "\"ORDER\""}}));
  EXPECT_EQ(ex[0].source.line, 1);
  const Example& m = ex[1];
  EXPECT_EQ(m.id, "7");
  EXPECT_EQ(m.source.line, 3);
  EXPECT_EQ(m.text, "customer: hi, I'm Zoë\nagent: hello Zoë");
  ASSERT_EQ(m.turns.size(), 2u);
  EXPECT_EQ(m.turns[0].offset, 10);
  EXPECT_EQ(m.turns[1].offset, 29);
  // Offsets become transcript offsets: "Zoë" at 18..21 and 35..38.
  EXPECT_EQ(m.entities, (std::vector<EntitySpan>{{18, 21, "name"}, {35, 38, "name"}}));
}

TEST(Jsonl, EveryBadSpanIsReportedWithLineAndSpan) {
  TempDir t;
  const auto f = t.write(
      "bad.jsonl",
      "{\"text\": \"abc def\", \"entities\": [{\"start\": 2, \"end\": 2, \"label\": \"x\"}, {\"start\": 5, \"end\": 3, \"label\": \"y\"}, {\"start\": 4, \"end\": 99, \"label\": \"z\"}]}\n"
      "{\"text\": \"abc def\", \"entities\": [{\"start\": 0, \"end\": 5, \"label\": \"x\"}, {\"start\": 4, \"end\": 7, \"label\": \"y\"}]}\n"
      "{\"text\": \"abc\"\n"
      "{\"turns\": [{\"speaker\": \"c\", \"text\": \"abc\"}], \"entities\": [{\"turn\": 3, \"start\": 0, \"end\": 1, \"label\": \"x\"}]}\n"
      "{\"text\": \"ok\"}\n"
      "[1, 2]\n");
  Diagnostics d(false);
  auto ex = collect(f, Format::jsonl, d);
  ASSERT_EQ(ex.size(), 1u);
  const std::string n = f.string();
  EXPECT_TRUE(any_error_contains(d, n + ":1: entity 0 [2, 2) 'x': empty"));
  EXPECT_TRUE(any_error_contains(d, n + ":1: entity 1 [5, 3) 'y': reversed"));
  EXPECT_TRUE(any_error_contains(d, n + ":1: entity 2 [4, 99) 'z': out of range; the text has 7 code points"));
  EXPECT_TRUE(any_error_contains(d, n + ":2: entities [0, 5) 'x' and [4, 7) 'y' overlap"));
  EXPECT_TRUE(any_error_contains(d, n + ":3: invalid JSON"));
  EXPECT_TRUE(any_error_contains(d, n + ":4: entity 0 [0, 1) 'x': turn 3 does not exist (1 turns)"));
  EXPECT_TRUE(any_error_contains(d, n + ":6: expected a JSON object, found array"));
  EXPECT_EQ(d.errors().size(), 7u);
}

TEST(Jsonl, SpansCuttingWordsAreCountedNotRejected) {
  TempDir t;
  const auto f = t.write("c.jsonl",
                         "{\"text\": \"order732201 please\", \"entities\": [{\"start\": 5, \"end\": 11, \"label\": \"order_id\"}]}\n");
  Diagnostics d;
  ReadStats st = read_jsonl(f, {}, d, [](Example&&) {});
  EXPECT_EQ(st.examples, 1);
  EXPECT_EQ(st.cut_spans, 1);
  EXPECT_EQ(d.warnings().size(), 1u);
}

TEST(Convert, JsonlToConllToJsonlAndJointBert) {
  TempDir t;
  const auto f = t.write(
      "train.jsonl",
      "{\"id\": \"a\", \"text\": \"John Smith flew to Paris\", \"entities\": [{\"start\": 0, \"end\": 10, \"label\": \"PER\"}, {\"start\": 19, \"end\": 24, \"label\": \"LOC\"}], \"intent\": \"travel\", \"k\": {\"n\": 1}}\n"
      "{\"id\": \"b\", \"turns\": [{\"speaker\": \"customer\", \"text\": \"order 12 , please\"}], \"entities\": [{\"turn\": 0, \"start\": 6, \"end\": 8, \"label\": \"order_id\"}]}\n");
  const std::vector<Example> ex = read_all(f, Format::jsonl);
  // JSONL -> JSONL is byte-identical in content (ids, turns, extra fields kept).
  WriteReport r1;
  write_jsonl(t.path() / "copy.jsonl", ex, r1);
  EXPECT_TRUE(r1.warnings().empty());
  const std::vector<Example> back = read_all(t.path() / "copy.jsonl", Format::jsonl);
  ASSERT_EQ(back.size(), ex.size());
  for (size_t i = 0; i < ex.size(); ++i) {
    EXPECT_EQ(back[i].text, ex[i].text);
    EXPECT_EQ(back[i].entities, ex[i].entities);
    EXPECT_EQ(back[i].intent, ex[i].intent);
    EXPECT_EQ(back[i].extra, ex[i].extra);
    EXPECT_EQ(back[i].turns.size(), ex[i].turns.size());
  }
  // -> CoNLL (BIOES) loses the intent, the turn structure and the extra field, and says so.
  WriteReport r2;
  WriteOptions wo;
  wo.scheme = TagScheme::bioes;
  write_conll(t.path() / "x.conll", ex, wo, r2);
  EXPECT_EQ(r2.dropped_intents, 1);
  EXPECT_EQ(r2.flattened_transcripts, 1);
  EXPECT_EQ(r2.dropped_extra_fields, 1);
  ReadOptions ro;
  ro.scheme = TagScheme::bioes;
  const std::vector<Example> conll = read_all(t.path() / "x.conll", Format::conll, ro);
  ASSERT_EQ(conll.size(), 2u);
  EXPECT_EQ(conll[0].text, ex[0].text);
  EXPECT_EQ(conll[0].entities, ex[0].entities);
  EXPECT_EQ(conll[1].text, "customer : order 12 , please");
  // -> JointBERT keeps intents.
  WriteReport r3;
  write_jointbert(t.path() / "jb", ex, {}, r3);
  const std::vector<Example> jb = read_all(t.path() / "jb", Format::jointbert);
  EXPECT_EQ(jb[0].entities, ex[0].entities);
  EXPECT_EQ(jb[0].intent, "travel");
  EXPECT_EQ(jb[1].intent, "");
}

TEST(FindSources, DatasetFoldersAndFiles) {
  TempDir t;
  t.write("d/train/seq.in", "a\n");
  t.write("d/train/seq.out", "O\n");
  t.write("d/test.jsonl", "{\"text\": \"a\"}\n");
  t.write("d/dev.conll", "a O\n");
  t.write("d/labels.txt", "x\n");
  auto s = find_sources(t.path() / "d");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].split, "train");
  EXPECT_EQ(s[0].format, Format::jointbert);
  EXPECT_EQ(s[1].split, "dev");
  EXPECT_EQ(s[2].split, "test");
  EXPECT_EQ(find_sources(t.path() / "d", Format::jsonl).size(), 1u);
  EXPECT_THROW(find_sources(t.path() / "nope"), InputError);
}

}  // namespace
}  // namespace triage::data
