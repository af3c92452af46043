// Label Studio, doccano and Prodigy (issue 19): a corpus written in each format and read back
// equals the original (ids, texts, spans, intents), Label Studio offsets are UTF-16 code units,
// the annotation chosen from a task is the documented one, and every bad input is an error
// naming the file, the task or line and the field; validate-style collection reports them all.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/annotation_formats.h"
#include "data/label_config.h"
#include "data/readers.h"
#include "data/writers.h"
#include "tests/data/data_test_util.h"

namespace triage::data {
namespace {

using testing::TempDir;
using nlohmann::json;

std::vector<Example> collect(const std::filesystem::path& p, Format f, Diagnostics& d, const ReadOptions& o = {},
                             ReadStats* stats = nullptr) {
  std::vector<Example> out;
  auto st = read_examples(p, f, o, d, [&](Example&& e) { out.push_back(std::move(e)); });
  if (stats) *stats = st;
  return out;
}

std::string errors(const Diagnostics& d) {
  std::string s;
  for (const auto& e : d.errors()) s += e.to_string() + "\n";
  return s;
}

void write(const std::filesystem::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

std::vector<Example> corpus() {
  std::vector<Example> v;
  auto add = [&](std::string id, std::string text, std::vector<EntitySpan> ents, std::string intent) {
    Example e = make_text_example(std::move(id), std::move(text));
    e.entities = std::move(ents);
    e.intent = std::move(intent);
    v.push_back(std::move(e));
  };
  add("t1", "refund order A-123 please", {{6, 11, "product"}, {12, 17, "order_id"}}, "refund");
  // astral characters before a span: UTF-16 offsets differ from code points
  add("t2", "😀😀 cancel order #A-99 👍 now", {{16, 21, "order_id"}}, "cancel");
  add("t3", "café à Paris, naïve résumé", {{7, 12, "city"}}, "");
  add("t4", "nothing to see", {}, "general");
  return v;
}

TEST(AnnotationFormats, EachFormatRoundTrips) {
  TempDir t;
  const auto gold = corpus();
  for (Format f : {Format::labelstudio, Format::doccano, Format::prodigy}) {
    const auto path = t.path() / (std::string("c.") + format_name(f));
    WriteReport report;
    write_examples(path, f, gold, {}, report);
    EXPECT_EQ(report.examples, 4);
    Diagnostics d(false);
    const auto back = collect(path, f, d);
    ASSERT_TRUE(d.ok()) << format_name(f) << ": " << errors(d);
    ASSERT_EQ(back.size(), gold.size()) << format_name(f);
    for (size_t i = 0; i < gold.size(); ++i) {
      EXPECT_EQ(back[i].id, gold[i].id) << format_name(f);
      EXPECT_EQ(back[i].text, gold[i].text) << format_name(f);
      EXPECT_EQ(back[i].entities, gold[i].entities) << format_name(f) << " " << gold[i].id;
      EXPECT_EQ(back[i].intent, gold[i].intent) << format_name(f) << " " << gold[i].id;
    }
    // the content tells the format apart (labelstudio's file is one JSON list)
    const auto as_json = t.path() / (std::string("detect-") + format_name(f) + ".json");
    std::filesystem::copy_file(path, as_json);
    EXPECT_EQ(detect_json_format(as_json), f) << format_name(f);
  }
  write(t.path() / "plain.jsonl", "{\"text\": \"hi\", \"entities\": []}\n");
  EXPECT_EQ(detect_json_format(t.path() / "plain.jsonl"), Format::jsonl);
}

TEST(AnnotationFormats, LabelStudioOffsetsAreUtf16) {
  TempDir t;
  WriteReport report;
  write_labelstudio(t.path() / "ls.json", corpus(), report);
  std::ifstream in(t.path() / "ls.json");
  const json tasks = json::parse(in);
  const json& v = tasks[1]["annotations"][0]["result"][0]["value"];
  EXPECT_EQ(v["start"], 18);  // two emoji before: 2 UTF-16 units each
  EXPECT_EQ(v["end"], 23);
  EXPECT_EQ(v["text"], "#A-99");  // code points 16..21
  EXPECT_EQ(utf16_to_code_points("😀a", 2), 1);
  EXPECT_FALSE(utf16_to_code_points("😀a", 1).has_value());  // inside the surrogate pair
  EXPECT_EQ(code_points_to_utf16("😀a", 2), 3);
}

TEST(AnnotationFormats, LabelStudioChoosesTheAnnotation) {
  TempDir t;
  const json tasks = json::parse(R"([
    {"id": 7, "data": {"body": "order 42 late"},
     "annotations": [
       {"id": 1, "completed_by": {"id": 3, "email": "ann@x"}, "updated_at": "2026-01-02T00:00:00Z",
        "result": [{"type": "labels", "value": {"start": 6, "end": 8, "labels": ["order_id"]}}]},
       {"id": 2, "completed_by": 4, "updated_at": "2026-01-03T00:00:00Z",
        "result": [{"type": "labels", "value": {"start": 0, "end": 5, "labels": ["product"]}},
                   {"type": "choices", "value": {"choices": ["shipping"]}}]},
       {"id": 3, "was_cancelled": true, "updated_at": "2026-01-04T00:00:00Z", "result": []}],
     "predictions": [{"result": []}]},
    {"id": 8, "data": {"body": "hello"}, "annotations": [],
     "predictions": [{"id": 9, "result": [{"type": "choices", "value": {"choices": ["greeting"]}}]}]},
    {"id": 10, "data": {"body": "hi"}, "annotations": [], "predictions": [11]}
  ])");
  write(t.path() / "ls.json", tasks.dump());
  Diagnostics d(false);
  ReadStats st;
  auto ex = collect(t.path() / "ls.json", Format::labelstudio, d, {}, &st);
  ASSERT_TRUE(d.ok()) << errors(d);
  ASSERT_EQ(ex.size(), 1u);  // tasks 8 and 10 have no annotation: skipped with a warning
  EXPECT_EQ(ex[0].id, "7");
  EXPECT_EQ(ex[0].text, "order 42 late");  // the first string field of data
  EXPECT_EQ(ex[0].entities, (std::vector<EntitySpan>{{0, 5, "product"}}));  // the latest, not cancelled
  EXPECT_EQ(ex[0].intent, "shipping");
  EXPECT_EQ(st.skipped_annotations, 1);  // the cancelled one (tasks without any are skipped tasks)
  EXPECT_EQ(st.skipped, 2);
  ReadOptions by;
  by.ls_annotator = "ann@x";
  by.ls_predictions = true;
  Diagnostics d2(false);
  ex = collect(t.path() / "ls.json", Format::labelstudio, d2, by);
  ASSERT_EQ(ex.size(), 2u) << errors(d2);
  EXPECT_EQ(ex[0].entities, (std::vector<EntitySpan>{{6, 8, "order_id"}}));
  EXPECT_EQ(ex[1].intent, "greeting");  // from the prediction
  // Label Studio's plain export lists predictions by id: a warning naming the task, no crash
  bool warned = false;
  for (const auto& w : d2.warnings()) warned |= w.to_string().find("task 10: \"predictions\" holds ids") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST(AnnotationFormats, DoccanoAndProdigyVariants) {
  TempDir t;
  write(t.path() / "d.jsonl",
        "{\"id\": 1, \"text\": \"ship to Paris\", \"entities\": [{\"id\": 5, \"label\": \"city\", \"start_offset\": 8, "
        "\"end_offset\": 13}], \"relations\": [{\"from_id\": 5, \"to_id\": 5, \"type\": \"x\"}]}\n"
        "{\"id\": 2, \"text\": \"refund\", \"labels\": [], \"cats\": [\"refund\"]}\n");
  Diagnostics d(false);
  ReadStats st;
  auto ex = collect(t.path() / "d.jsonl", Format::doccano, d, {}, &st);
  ASSERT_EQ(ex.size(), 2u) << errors(d);
  EXPECT_EQ(ex[0].entities, (std::vector<EntitySpan>{{8, 13, "city"}}));
  EXPECT_EQ(ex[1].intent, "refund");
  EXPECT_EQ(st.ignored_relations, 1);
  write(t.path() / "p.jsonl",
        "{\"text\": \"to Paris\", \"spans\": [{\"start\": 3, \"end\": 8, \"label\": \"city\"}], \"answer\": \"accept\"}\n"
        "{\"text\": \"nope\", \"spans\": [], \"answer\": \"reject\"}\n"
        "{\"text\": \"skip\", \"answer\": \"ignore\"}\n");
  Diagnostics dp(false);
  ex = collect(t.path() / "p.jsonl", Format::prodigy, dp, {}, &st);
  ASSERT_EQ(ex.size(), 1u) << errors(dp);
  EXPECT_EQ(st.skipped_annotations, 2);
}

TEST(AnnotationFormats, BadInputNamesTaskAndField) {
  TempDir t;
  // Label Studio: every problem of every task, each naming the task
  write(t.path() / "ls.json", R"([
    {"id": 1, "data": {"n": 5}, "annotations": [{"result": []}]},
    {"id": 2, "data": {"text": "abc"}, "annotations": [{"result": [
        {"type": "labels", "value": {"start": 1, "end": 9, "labels": ["x"]}}]}]},
    {"id": 3, "data": {"text": "abc"}, "annotations": [{"result": [
        {"type": "labels", "value": {"start": 2, "end": 1, "labels": ["x"]}}]}]},
    {"id": 3, "data": {"text": "abc"}, "annotations": [{"result": []}]},
    {"id": 5, "data": {"text": "abc"}, "annotations": [{"result": [{"type": "labels", "value": {"start": 0}}]}]},
    {"id": 6, "data": {"text": "abcdef"}, "annotations": [{"result": [
        {"type": "labels", "value": {"start": 0, "end": 3, "labels": ["x"]}},
        {"type": "labels", "value": {"start": 2, "end": 5, "labels": ["y"]}}]}]}
  ])");
  Diagnostics d(false);
  collect(t.path() / "ls.json", Format::labelstudio, d);
  const std::string all = errors(d);
  EXPECT_EQ(d.errors().size(), 6u) << all;
  for (const char* want : {"task 1: no text", "task 2: entity 0 [1, 9) 'x': out of range", "task 3", "reversed",
                           "duplicate task id '3'", "task 5", "expected value {\"start\": int", "task 6", "overlap"})
    EXPECT_NE(all.find(want), std::string::npos) << want << "\n" << all;
  EXPECT_NE(all.find("ls.json"), std::string::npos);
  // truncated export
  write(t.path() / "cut.json", R"([{"id": 1, "data": {"text": "ab)");
  Diagnostics dc(false);
  collect(t.path() / "cut.json", Format::labelstudio, dc);
  EXPECT_NE(errors(dc).find("cut.json: invalid JSON"), std::string::npos) << errors(dc);
  // strict mode (training) throws on the first
  Diagnostics strict(true);
  EXPECT_THROW(collect(t.path() / "ls.json", Format::labelstudio, strict), InputError);
  // doccano / prodigy: file:line and the field
  write(t.path() / "d.jsonl", "{\"text\": \"abc\", \"label\": [[0, 9, \"x\"]]}\n{\"text\": \"abc\", \"label\": [[0, \"a\"]]}\n"
                              "{\"label\": []}\n{\"id\": 1, \"text\": \"a\"}\n{\"id\": 1, \"text\": \"b\"}\n");
  Diagnostics dd(false);
  collect(t.path() / "d.jsonl", Format::doccano, dd);
  const std::string de = errors(dd);
  for (const char* want : {"d.jsonl:1: entity 0 [0, 9) 'x': out of range", "d.jsonl:2: \"label\" item 0",
                           "d.jsonl:3: needs \"text\"", "d.jsonl:5: duplicate id '1'"})
    EXPECT_NE(de.find(want), std::string::npos) << want << "\n" << de;
  write(t.path() / "p.jsonl", "{\"text\": \"abc\", \"spans\": [{\"start\": 2, \"end\": 1, \"label\": \"x\"}]}\n{\"text\": [1]}\n");
  Diagnostics dp(false);
  collect(t.path() / "p.jsonl", Format::prodigy, dp);
  EXPECT_NE(errors(dp).find("p.jsonl:1: entity 0 [2, 1) 'x': reversed"), std::string::npos) << errors(dp);
  EXPECT_NE(errors(dp).find("p.jsonl:2: \"text\" must be a string"), std::string::npos) << errors(dp);
}

// validate --schema: a Label Studio labeling config (as labelconfig writes it, or hand-written
// with other tags around), a schema JSON or a checkpoint's triage.json; labels outside it are
// errors naming the example, the entity and the schema's labels.
TEST(AnnotationFormats, LabelSchemaFromLabelStudioConfig) {
  TempDir t;
  const LabelSchema schema({"order_id", "product", "a&b"}, {"refund", "cancel"});
  write(t.path() / "config.xml", labelstudio_config(schema));
  EXPECT_EQ(read_schema(t.path() / "config.xml"), schema) << labelstudio_config(schema);
  write(t.path() / "hand.xml", "<View>\n  <Header value=\"Tag it\"/>\n  <Text name=\"t\" value=\"$text\"/>\n"
                               "  <Labels name=\"ner\" toName=\"t\"><Label value=\"city\" background=\"red\"/></Labels>\n"
                               "  <View><Choices name=\"c\" toName=\"t\"><Choice value=\"travel\"/></Choices></View>\n"
                               "</View>\n");
  EXPECT_EQ(read_schema(t.path() / "hand.xml"), LabelSchema({"city"}, {"travel"}));
  write(t.path() / "schema.json", R"({"entity_types": ["city"], "intents": []})");
  EXPECT_EQ(read_schema(t.path() / "schema.json"), LabelSchema({"city"}, {}));
  std::filesystem::create_directories(t.path() / "model");
  write(t.path() / "model" / "triage.json", "{\"label_schema\": " + schema.to_json().dump() + "}");
  EXPECT_EQ(read_schema(t.path() / "model"), schema);

  auto message = [](const std::filesystem::path& p) {
    try {
      read_schema(p);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  write(t.path() / "cut.xml", "<View>\n<Labels name=\"l\" toName=\"t\">\n<Label value=\"a\"/>\n");
  EXPECT_NE(message(t.path() / "cut.xml").find("cut.xml:4: not a Label Studio labeling config"), std::string::npos)
      << message(t.path() / "cut.xml");
  write(t.path() / "novalue.xml", "<View>\n<Labels name=\"l\" toName=\"t\">\n<Label/>\n</Labels></View>");
  EXPECT_NE(message(t.path() / "novalue.xml").find("novalue.xml:3: <Label> without a value"), std::string::npos)
      << message(t.path() / "novalue.xml");
  write(t.path() / "empty.xml", "<View><Text name=\"t\" value=\"$text\"/></View>");
  EXPECT_NE(message(t.path() / "empty.xml").find("no labels to check against"), std::string::npos);
  EXPECT_NE(message(t.path() / "nothing").find("nothing: cannot open"), std::string::npos);

  Diagnostics d(false);
  int n = 0;
  for (auto e : corpus()) {
    e.source = {"c.jsonl", 7};
    n += check_schema(schema, "config.xml", e, d);
  }
  // t1 fits; t2's intent "cancel" fits; t3's "city" does not; t4's intent "general" does not
  EXPECT_EQ(n, 2) << errors(d);
  EXPECT_NE(errors(d).find("c.jsonl:7: example 't3': entity 0 [7, 12) label 'city' is not in the schema "
                           "(config.xml: a&b, order_id, product)"),
            std::string::npos)
      << errors(d);
  EXPECT_NE(errors(d).find("example 't4': intent 'general' is not in the schema (config.xml: cancel, refund)"),
            std::string::npos)
      << errors(d);
}

}  // namespace
}  // namespace triage::data
