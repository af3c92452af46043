// Label Studio, doccano and Prodigy in and out (see annotation_formats.h).
#include "data/annotation_formats.h"

#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file_io.h"
#include "data/utf8.h"

namespace triage::data {

namespace fs = std::filesystem;
using nlohmann::json;

std::optional<int32_t> utf16_to_code_points(const std::string& text, int64_t u16) {
  int64_t at = 0;
  int32_t cp = 0;
  for (size_t i = 0; i < text.size();) {
    if (at == u16) return cp;
    if (at > u16) return std::nullopt;
    const size_t len = utf8::sequence_length(static_cast<unsigned char>(text[i]));
    at += len == 4 ? 2 : 1;
    i += len;
    ++cp;
  }
  return at == u16 ? std::optional<int32_t>(cp) : std::nullopt;
}

int64_t code_points_to_utf16(const std::string& text, int32_t cp) {
  int64_t at = 0;
  int32_t n = 0;
  for (size_t i = 0; i < text.size() && n < cp; ++n) {
    const size_t len = utf8::sequence_length(static_cast<unsigned char>(text[i]));
    at += len == 4 ? 2 : 1;
    i += len;
  }
  return at;
}

namespace {

// The substring of text between code points [start, end), or "" when out of range.
std::string cp_substr(const std::string& text, int64_t start, int64_t end) {
  if (start < 0 || end < start) return {};
  size_t i = 0, b = std::string::npos;
  int64_t cp = 0;
  for (; i <= text.size(); ++cp) {
    if (cp == start) b = i;
    if (cp == end) return b == std::string::npos ? std::string() : text.substr(b, i - b);
    if (i == text.size()) break;
    i += utf8::sequence_length(static_cast<unsigned char>(text[i]));
  }
  return {};
}

// JSON lines of file, each parsed and handed on with its line number; parse errors reported.
template <typename F>
void each_json_line(const fs::path& file, Diagnostics& diag, ReadStats& stats, F&& f) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(file.string() + ": cannot open");
  std::string line;
  int64_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (!utf8::valid(line)) {
      diag.error(file.string(), n, "invalid UTF-8");
      ++stats.skipped;
      continue;
    }
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception& ex) {
      diag.error(file.string(), n, std::string("invalid JSON: ") + ex.what());
      ++stats.skipped;
      continue;
    }
    if (!j.is_object()) {
      diag.error(file.string(), n, std::string("expected a JSON object, found ") + j.type_name());
      ++stats.skipped;
      continue;
    }
    f(j, n);
  }
}

// Hands a triage-shaped object to the one validator; counts and passes it on.
void emit(const json& obj, const std::string& name, int64_t n, const std::string& where, const std::string& prefix,
          int64_t index, Diagnostics& diag, ReadStats& stats, const ExampleSink& sink) {
  Example e;
  if (example_from_json(obj, name, n, where, prefix, index, diag, stats, e)) {
    ++stats.examples;
    sink(std::move(e));
  } else {
    ++stats.skipped;
  }
}

std::string id_string(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  return {};
}

// The annotation a Label Studio task is read from: the annotator's, else the last updated
// one that was not cancelled; nullptr when none. Cancelled ones are counted.
const json* choose_annotation(const json& task, const ReadOptions& o, ReadStats& stats) {
  auto it = task.find("annotations");
  if (it == task.end() || !it->is_array()) return nullptr;
  const json* best = nullptr;
  std::string best_time;
  for (const auto& a : *it) {
    if (!a.is_object()) continue;
    if (a.value("was_cancelled", false) || a.value("skipped", false)) {
      ++stats.skipped_annotations;
      continue;
    }
    if (!o.ls_annotator.empty()) {
      const auto& by = a.contains("completed_by") ? a["completed_by"] : json();
      const std::string who = by.is_object() ? by.value("email", id_string(by.value("id", json())))
                                             : id_string(by);
      if (who != o.ls_annotator) continue;
    }
    const std::string t = a.value("updated_at", a.value("created_at", std::string()));
    if (!best || t >= best_time) best = &a, best_time = t;
  }
  return best;
}

}  // namespace

ReadStats read_labelstudio(const fs::path& file, const ReadOptions& options, Diagnostics& diag,
                           const ExampleSink& sink) {
  const std::string name = file.string();
  const std::string content = read_file(file);
  ReadStats stats;
  if (!utf8::valid(content)) {
    diag.error(name, 0, "invalid UTF-8");
    return stats;
  }
  json tasks;
  const auto first = content.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && content[first] == '{') {  // JSON lines of tasks (the review queue's file)
    tasks = json::array();
    std::istringstream lines(content);
    std::string line;
    for (int64_t n = 1; std::getline(lines, line); ++n) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      try {
        tasks.push_back(json::parse(line));
      } catch (const json::exception& ex) {
        diag.error(name, n, std::string("invalid JSON: ") + ex.what());
      }
    }
  } else {
    try {
      tasks = json::parse(content);
    } catch (const json::exception& ex) {
      diag.error(name, 0, std::string("invalid JSON (a Label Studio export is one JSON list of tasks): ") + ex.what());
      return stats;
    }
  }
  if (!tasks.is_array()) {
    diag.error(name, 0, std::string("expected a JSON list of tasks (Label Studio's JSON export), found ") +
                            tasks.type_name());
    return stats;
  }
  const std::string prefix = options.id_prefix.empty() ? file.stem().string() : options.id_prefix;
  std::set<std::string> seen;
  for (size_t k = 0; k < tasks.size(); ++k) {
    const json& task = tasks[k];
    std::string where = "task " + std::to_string(k);
    auto fail = [&](const std::string& msg) {
      diag.error(name, 0, where + ": " + msg);
      ++stats.skipped;
    };
    if (!task.is_object()) {
      fail(std::string("expected an object, found ") + task.type_name());
      continue;
    }
    const json data = task.value("data", json());
    std::string id = data.is_object() && data.contains("triage_id") ? id_string(data["triage_id"]) : "";
    if (id.empty() && task.contains("id")) id = id_string(task["id"]);
    if (!id.empty()) where = "task " + id;
    if (!data.is_object()) {
      fail("\"data\" must be an object holding the text");
      continue;
    }
    std::string key = options.ls_text_key;
    if (key.empty()) {
      key = data.contains("text") && data["text"].is_string() ? "text" : "";
      for (auto it = data.begin(); key.empty() && it != data.end(); ++it)
        if (it.value().is_string() && it.key() != "triage_id") key = it.key();
    }
    if (key.empty() || !data.contains(key) || !data[key].is_string()) {
      fail("no text: \"data\" has no string field" + (options.ls_text_key.empty() ? "" : " \"" + key + "\""));
      continue;
    }
    if (!id.empty() && !seen.insert(id).second) {
      fail("duplicate task id '" + id + "'");
      continue;
    }
    const std::string text = data[key].get<std::string>();
    const json* ann = choose_annotation(task, options, stats);
    std::string from = "annotation";
    if (!ann && options.ls_predictions && task.contains("predictions") && task["predictions"].is_array() &&
        !task["predictions"].empty()) {
      if (task["predictions"].back().is_object()) {
        ann = &task["predictions"].back();
        from = "prediction";
      } else {
        // Label Studio's plain export lists predictions by id only; a snapshot export with
        // serialization_options.predictions.only_id = false carries them whole.
        diag.warn(name, 0, where + ": \"predictions\" holds ids, not predictions (export a snapshot with "
                                   "predictions expanded: serialization_options.predictions.only_id = false)");
      }
    }
    if (!ann) {
      ++stats.skipped;
      diag.warn(name, 0, where + ": no usable annotation (none, all cancelled" +
                             (options.ls_annotator.empty() ? "" : ", or none by " + options.ls_annotator) +
                             "); skipped");
      continue;
    }
    if (ann->contains("id")) where += " (" + from + " " + id_string((*ann)["id"]) + ")";
    json obj = {{"text", text}, {"entities", json::array()}};
    if (!id.empty()) obj["id"] = id;
    bool bad = false;
    const json result = ann->value("result", json::array());
    if (!result.is_array()) {
      fail("\"result\" must be a list");
      continue;
    }
    for (size_t r = 0; r < result.size(); ++r) {
      const json& item = result[r];
      const std::string at = "result " + std::to_string(r);
      const std::string type = item.is_object() ? item.value("type", std::string()) : "";
      const json value = item.is_object() ? item.value("value", json()) : json();
      if (type == "labels") {
        if (!value.is_object() || !value.contains("start") || !value.contains("end") ||
            !value["start"].is_number_integer() || !value["end"].is_number_integer() || !value.contains("labels") ||
            !value["labels"].is_array() || value["labels"].empty() || !value["labels"][0].is_string()) {
          fail(at + ": expected value {\"start\": int, \"end\": int, \"labels\": [string]}, found " + value.dump());
          bad = true;
          break;
        }
        const int64_t s16 = value["start"].get<int64_t>(), e16 = value["end"].get<int64_t>();
        const auto s = utf16_to_code_points(text, s16), e = utf16_to_code_points(text, e16);
        // Offsets past the end, reversed or inside a surrogate pair: handed on as they are,
        // for the validator's message (out of range / reversed).
        int64_t start = s ? *s : s16, end = e ? *e : e16;
        if (value.contains("text") && value["text"].is_string() && s && e && *s <= *e &&
            cp_substr(text, *s, *e) != value["text"].get<std::string>()) {
          // Some exports count code points; take them when that is what value.text says.
          if (cp_substr(text, s16, e16) == value["text"].get<std::string>()) {
            start = s16, end = e16;
          } else {
            fail(at + ": value.text '" + value["text"].get<std::string>() + "' is not the text at [" +
                 std::to_string(s16) + ", " + std::to_string(e16) + ")");
            bad = true;
            break;
          }
        }
        obj["entities"].push_back({{"start", start}, {"end", end}, {"label", value["labels"][0]}});
      } else if (type == "choices") {
        if (!value.is_object() || !value.contains("choices") || !value["choices"].is_array() ||
            value["choices"].empty() || !value["choices"][0].is_string()) {
          fail(at + ": expected value {\"choices\": [string]}, found " + value.dump());
          bad = true;
          break;
        }
        obj["intent"] = value["choices"][0];
      }
    }
    if (bad) continue;
    emit(obj, name, 0, where + ": ", prefix, static_cast<int64_t>(k), diag, stats, sink);
  }
  return stats;
}

namespace {

// A JSON-lines tool format: translate(j, obj, fail, stats) turns each object into triage's JSONL
// shape in obj (which starts with the object's "text" and no entities), returning false to skip
// it (after fail(message), or for a record not to use); then duplicate ids are errors and the
// one validator judges the rest.
template <typename Translate>
ReadStats read_tool_lines(const fs::path& file, const ReadOptions& options, Diagnostics& diag, const ExampleSink& sink,
                          Translate&& translate) {
  ReadStats stats;
  const std::string name = file.string();
  const std::string prefix = options.id_prefix.empty() ? file.stem().string() : options.id_prefix;
  int64_t index = 0;
  std::set<std::string> seen;
  each_json_line(file, diag, stats, [&](const json& j, int64_t n) {
    auto fail = [&](const std::string& msg) {
      diag.error(name, n, msg);
      ++stats.skipped;
      return false;
    };
    json obj = {{"entities", json::array()}};
    if (j.contains("text")) obj["text"] = j["text"];
    if (!translate(j, obj, fail, stats)) return;
    if (obj.contains("id") && !seen.insert(obj["id"].get<std::string>()).second) {
      fail("duplicate id '" + obj["id"].get<std::string>() + "'");
      return;
    }
    emit(obj, name, n, "", prefix, index++, diag, stats, sink);
  });
  return stats;
}

// A list of strings' first element as obj["intent"] (none when empty); false when not a list of strings.
bool first_string_as_intent(const json& list, json& obj) {
  if (!list.is_array() || (!list.empty() && !list[0].is_string())) return false;
  if (!list.empty()) obj["intent"] = list[0];
  return true;
}

}  // namespace

ReadStats read_doccano(const fs::path& file, const ReadOptions& options, Diagnostics& diag, const ExampleSink& sink) {
  return read_tool_lines(file, options, diag, sink, [](const json& j, json& obj, auto& fail, ReadStats& stats) {
    if (j.contains("id") && !id_string(j["id"]).empty()) obj["id"] = id_string(j["id"]);
    const char* key = j.contains("label") ? "label" : j.contains("labels") ? "labels" : nullptr;
    if (key && j.contains("entities")) return fail("has both \"" + std::string(key) + "\" and \"entities\"; give one");
    if (key) {
      const json& spans = j[key];
      if (!spans.is_array()) return fail("\"" + std::string(key) + "\" must be a list of [start, end, label]");
      for (size_t k = 0; k < spans.size(); ++k) {
        const json& t = spans[k];
        if (!t.is_array() || t.size() != 3 || !t[0].is_number_integer() || !t[1].is_number_integer() ||
            !t[2].is_string())
          return fail("\"" + std::string(key) + "\" item " + std::to_string(k) + ": expected [start, end, label], found " +
                      t.dump());
        obj["entities"].push_back({{"start", t[0]}, {"end", t[1]}, {"label", t[2]}});
      }
    } else if (j.contains("entities")) {
      const json& spans = j["entities"];
      if (!spans.is_array()) return fail("\"entities\" must be a list");
      for (size_t k = 0; k < spans.size(); ++k) {
        const json& t = spans[k];
        if (!t.is_object() || !t.contains("start_offset") || !t.contains("end_offset") || !t.contains("label") ||
            !t["start_offset"].is_number_integer() || !t["end_offset"].is_number_integer() || !t["label"].is_string())
          return fail("entity " + std::to_string(k) +
                      ": expected {\"start_offset\": int, \"end_offset\": int, \"label\": string}, found " + t.dump());
        obj["entities"].push_back({{"start", t["start_offset"]}, {"end", t["end_offset"]}, {"label", t["label"]}});
      }
      if (j.contains("relations") && j["relations"].is_array())
        stats.ignored_relations += static_cast<int64_t>(j["relations"].size());
    }
    if (j.contains("cats") && !first_string_as_intent(j["cats"], obj)) return fail("\"cats\" must be a list of strings");
    return true;
  });
}

ReadStats read_prodigy(const fs::path& file, const ReadOptions& options, Diagnostics& diag, const ExampleSink& sink) {
  return read_tool_lines(file, options, diag, sink, [](const json& j, json& obj, auto& fail, ReadStats& stats) {
    if (j.contains("answer")) {
      if (!j["answer"].is_string()) return fail("\"answer\" must be a string");
      if (j["answer"] != "accept") {
        ++stats.skipped_annotations;
        return false;
      }
    }
    std::string id;
    if (j.contains("meta") && j["meta"].is_object() && j["meta"].contains("id")) id = id_string(j["meta"]["id"]);
    if (id.empty() && j.contains("id")) id = id_string(j["id"]);
    if (!id.empty()) obj["id"] = id;
    if (j.contains("spans")) {
      const json& spans = j["spans"];
      if (!spans.is_array()) return fail("\"spans\" must be a list");
      for (size_t k = 0; k < spans.size(); ++k) {
        const json& t = spans[k];
        if (!t.is_object() || !t.contains("start") || !t.contains("end") || !t.contains("label") ||
            !t["start"].is_number_integer() || !t["end"].is_number_integer() || !t["label"].is_string())
          return fail("span " + std::to_string(k) + ": expected {\"start\": int, \"end\": int, \"label\": string}, found " +
                      t.dump());
        obj["entities"].push_back({{"start", t["start"]}, {"end", t["end"]}, {"label", t["label"]}});
      }
    }
    if (j.contains("accept") && !first_string_as_intent(j["accept"], obj))
      return fail("\"accept\" must be a list of option ids");
    return true;
  });
}

namespace {

void write_json_text(const fs::path& file, const std::string& content) { write_file_atomic(file, content); }

}  // namespace

namespace {

json labels_result(const std::string& text, const std::vector<EntitySpan>& spans, const std::vector<float>* scores,
                   const std::string& intent, const float* intent_score) {
  json result = json::array();
  for (size_t k = 0; k < spans.size(); ++k) {
    const auto& s = spans[k];
    std::string id = "e";  // (not "e" + to_string(k): GCC 12 warns -Wrestrict on it)
    id += std::to_string(k);
    json item = {{"id", id}, {"from_name", "label"}, {"to_name", "text"}, {"type", "labels"},
                 {"value", {{"start", code_points_to_utf16(text, s.start)}, {"end", code_points_to_utf16(text, s.end)},
                            {"text", cp_substr(text, s.start, s.end)}, {"labels", {s.label}}}}};
    if (scores && k < scores->size()) item["score"] = (*scores)[k];
    result.push_back(std::move(item));
  }
  if (!intent.empty()) {
    json item = {{"id", "intent"}, {"from_name", "intent"}, {"to_name", "text"}, {"type", "choices"},
                 {"value", {{"choices", {intent}}}}};
    if (intent_score) item["score"] = *intent_score;
    result.push_back(std::move(item));
  }
  return result;
}

}  // namespace

json labelstudio_task(const Example& e, int64_t task_id, bool annotation, const PreAnnotation* p,
                      const std::string& model_version) {
  json task = {{"id", task_id}, {"data", {{"text", e.text}, {"triage_id", e.id}}}};
  if (annotation)
    task["annotations"] = {{{"id", task_id}, {"result", labels_result(e.text, e.entities, nullptr, e.intent, nullptr)}}};
  if (p)
    task["predictions"] = {{{"model_version", model_version},
                            {"score", p->score},
                            {"result", labels_result(e.text, p->spans, &p->span_scores, p->intent,
                                                     p->intent.empty() ? nullptr : &p->intent_score)}}};
  return task;
}

void write_labelstudio(const fs::path& file, const std::vector<Example>& examples, WriteReport& report) {
  json tasks = json::array();
  for (size_t i = 0; i < examples.size(); ++i) {
    const Example& e = examples[i];
    if (!e.turns.empty()) ++report.flattened_transcripts;
    if (!e.extra.empty()) ++report.dropped_extra_fields;
    tasks.push_back(labelstudio_task(e, static_cast<int64_t>(i + 1), true, nullptr, ""));
    ++report.examples;
  }
  write_json_text(file, tasks.dump(1) + "\n");
}

void write_labelstudio_predictions(const fs::path& file, const std::vector<Example>& examples,
                                   const std::vector<PreAnnotation>& predictions, const std::string& model_version,
                                   WriteReport& report) {
  if (predictions.size() != examples.size())
    throw Error("write_labelstudio_predictions: " + std::to_string(predictions.size()) + " predictions for " +
                std::to_string(examples.size()) + " examples");
  json tasks = json::array();
  for (size_t i = 0; i < examples.size(); ++i) {
    if (!examples[i].turns.empty()) ++report.flattened_transcripts;
    tasks.push_back(labelstudio_task(examples[i], static_cast<int64_t>(i + 1), false, &predictions[i], model_version));
    ++report.examples;
  }
  write_json_text(file, tasks.dump(1) + "\n");
}

void write_doccano(const fs::path& file, const std::vector<Example>& examples, WriteReport& report) {
  std::string out;
  for (const Example& e : examples) {
    if (!e.turns.empty()) ++report.flattened_transcripts;
    if (!e.extra.empty()) ++report.dropped_extra_fields;
    json spans = json::array();
    for (const auto& s : e.entities) spans.push_back({s.start, s.end, s.label});
    json j = {{"id", e.id}, {"text", e.text}, {"label", spans}};
    if (!e.intent.empty()) j["cats"] = {e.intent};
    out += j.dump() + "\n";
    ++report.examples;
  }
  write_json_text(file, out);
}

void write_prodigy(const fs::path& file, const std::vector<Example>& examples, WriteReport& report) {
  std::string out;
  for (const Example& e : examples) {
    if (!e.turns.empty()) ++report.flattened_transcripts;
    if (!e.extra.empty()) ++report.dropped_extra_fields;
    json spans = json::array();
    for (const auto& s : e.entities)
      spans.push_back({{"start", s.start}, {"end", s.end}, {"label", s.label}, {"text", cp_substr(e.text, s.start, s.end)}});
    json j = {{"text", e.text}, {"spans", spans}, {"answer", "accept"}, {"meta", {{"id", e.id}}}};
    if (!e.intent.empty()) {
      j["options"] = {{{"id", e.intent}, {"text", e.intent}}};
      j["accept"] = {e.intent};
    }
    out += j.dump() + "\n";
    ++report.examples;
  }
  write_json_text(file, out);
}

std::optional<Format> detect_json_format(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  char c = 0;
  while (in.get(c) && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
  }
  if (!in) return std::nullopt;
  if (c == '[') return Format::labelstudio;
  if (c != '{') return std::nullopt;
  std::string line(1, c), rest;
  std::getline(in, rest);
  line += rest;
  json j;
  try {
    j = json::parse(line);
  } catch (const json::exception&) {
    return Format::jsonl;  // let the JSONL reader name the problem
  }
  if (!j.is_object()) return Format::jsonl;
  if (j.contains("data") && j["data"].is_object()) return Format::labelstudio;  // JSON lines of tasks
  if (j.contains("spans") || j.contains("answer")) return Format::prodigy;
  if (j.contains("label") || j.contains("labels") || j.contains("cats")) return Format::doccano;
  if (j.contains("entities") && j["entities"].is_array() && !j["entities"].empty() && j["entities"][0].is_object() &&
      j["entities"][0].contains("start_offset"))
    return Format::doccano;
  return Format::jsonl;
}

}  // namespace triage::data
