// The annotation tools' formats (issue 19): Label Studio JSON exports (a list of tasks),
// doccano JSONL and Prodigy JSONL, read into Examples and written from them. Each record is
// turned into triage's JSONL shape and validated by the one JSONL validator
// (readers.h example_from_json), so offsets (out of range, reversed, empty, overlapping) are
// judged exactly as in triage's own JSONL; errors name the file, the task (Label Studio) or
// line and the field.
//
// Offsets: Label Studio's are JavaScript string indices (UTF-16 code units), converted to code
// points on read and back on write (a span's value.text, when present, must match); doccano's
// and Prodigy's are code points, as triage's.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/readers.h"
#include "data/writers.h"

namespace triage::data {

// Label Studio: [{"id", "data": {<text key>: text, ...}, "annotations": [{"result": [...],
// (or the same tasks as JSON lines, as the review queue writes them)
// "was_cancelled", "completed_by", "updated_at", ...}], "predictions": [...]}]. Spans from the
// chosen annotation's "labels" results (value.start, value.end, value.labels[0]), the intent
// from its "choices" result (value.choices[0]). The chosen annotation: the last one updated,
// or ReadOptions::ls_annotator's; cancelled ones are skipped (counted); a task with none left
// is skipped (counted) unless ls_predictions takes its latest prediction. The id is
// data.triage_id when present (what triage writes), else the task id; duplicates are errors.
ReadStats read_labelstudio(const std::filesystem::path& file, const ReadOptions& options, Diagnostics& diag,
                           const ExampleSink& sink);
// doccano JSONL: {"id", "text", "label" | "labels": [[start, end, label], ...], "cats": [intent]}
// or the entities/relations export {"text", "entities": [{"start_offset", "end_offset",
// "label"}], "relations": [...]} (relations ignored, counted).
ReadStats read_doccano(const std::filesystem::path& file, const ReadOptions& options, Diagnostics& diag,
                       const ExampleSink& sink);
// Prodigy JSONL: {"text", "spans": [{"start", "end", "label"}], "answer", "accept": [intent],
// "meta": {"id"}}. Only answer "accept" (or none) is used; reject / ignore are counted.
ReadStats read_prodigy(const std::filesystem::path& file, const ReadOptions& options, Diagnostics& diag,
                       const ExampleSink& sink);

// A model's answer for one example, for pre-annotation: spans with their scores, the intent
// (empty: none) with its score.
struct PreAnnotation {
  std::vector<EntitySpan> spans;
  std::vector<float> span_scores;  // one per span
  std::string intent;
  float intent_score = 0;
  float score = 0;  // the task's overall score (Label Studio sorts by it): the lowest of them
};

// One Label Studio task: data {"text", "triage_id"}; the example's own labels as an annotation
// when `annotation`; `prediction` (when given) as a prediction of model_version with
// per-span and intent scores, ready to import for pre-annotation. Task ids are `task_id`.
// Offsets in UTF-16 code units.
nlohmann::json labelstudio_task(const Example& e, int64_t task_id, bool annotation, const PreAnnotation* prediction,
                                const std::string& model_version);

// Multi-turn transcripts are written as their joined text (counted as flattened).
// Label Studio tasks carry the spans and intent as an annotation, with data.triage_id the id.
void write_labelstudio(const std::filesystem::path& file, const std::vector<Example>& examples, WriteReport& report);
void write_doccano(const std::filesystem::path& file, const std::vector<Example>& examples, WriteReport& report);
void write_prodigy(const std::filesystem::path& file, const std::vector<Example>& examples, WriteReport& report);
// Label Studio tasks with a model's predictions (and no annotation): triage-model tag --format
// labelstudio. predictions[i] belongs to examples[i].
void write_labelstudio_predictions(const std::filesystem::path& file, const std::vector<Example>& examples,
                                   const std::vector<PreAnnotation>& predictions, const std::string& model_version,
                                   WriteReport& report);

// The format a file's content shows: a JSON list, or JSON lines of objects with a "data"
// object -> labelstudio; JSON lines whose first object has "spans" or "answer" -> prodigy, "label"/"labels" or "entities" with
// "start_offset" -> doccano, else jsonl. nullopt when the file does not start with JSON.
std::optional<Format> detect_json_format(const std::filesystem::path& file);

// Code points of text before UTF-16 offset u16 (nullopt when it falls inside a surrogate
// pair or past the end), and the inverse.
std::optional<int32_t> utf16_to_code_points(const std::string& text, int64_t u16);
int64_t code_points_to_utf16(const std::string& text, int32_t cp);

}  // namespace triage::data
