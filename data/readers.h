// Streaming readers for the three labelled formats: CoNLL columns, JointBERT split folders
// (seq.in / seq.out / label) and JSONL transcripts. Every line is UTF-8 validated; every
// problem is reported as file:line with what was expected and what was found. Readers hand
// each example to a callback as soon as it is complete, so memory stays flat.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "data/example.h"
#include "data/tag_scheme.h"

namespace triage::data {

// labelstudio, doccano, prodigy: the annotation tools' formats (annotation_formats.h).
enum class Format { conll, jointbert, jsonl, labelstudio, doccano, prodigy };
std::optional<Format> parse_format(std::string_view name);  // "conll", "jointbert", "jsonl", ...
const char* format_name(Format format);

struct Diagnostic {
  std::string file;
  int64_t line = 0;  // 0 when the problem is about the whole file
  std::string message;
  std::string to_string() const;  // "file:line: message"
};

// Collects errors and warnings. Strict mode (training, eval) throws InputError on the
// first error; collecting mode (triage-data validate) keeps going and records them all.
class Diagnostics {
 public:
  explicit Diagnostics(bool throw_on_error = true) : throw_on_error_(throw_on_error) {}
  void error(const std::string& file, int64_t line, std::string message);
  void warn(const std::string& file, int64_t line, std::string message);
  const std::vector<Diagnostic>& errors() const { return errors_; }
  const std::vector<Diagnostic>& warnings() const { return warnings_; }
  bool ok() const { return errors_.empty(); }

 private:
  bool throw_on_error_;
  std::vector<Diagnostic> errors_;
  std::vector<Diagnostic> warnings_;
};

struct ReadOptions {
  int32_t conll_word_column = 0;   // CoNLL: 0-based column of the word
  int32_t conll_tag_column = -1;   // CoNLL: 0-based column of the tag; -1 = the last column
  TagScheme scheme = TagScheme::iob2;  // CoNLL/JointBERT input scheme: decides which tags are
                                       // repairs (warned); every scheme is read leniently
  std::string id_prefix;           // ids for examples without one: "<prefix>-<n>"; empty =
                                   // the file stem (CoNLL) or split folder name (JointBERT)
  // Label Studio exports (annotation_formats.h)
  std::string ls_text_key;         // data.<key> holding the text; "" = "text", else the first string field
  std::string ls_annotator;        // "" = the last updated annotation; else completed_by's email or id
  bool ls_predictions = false;     // a task without a usable annotation takes its latest prediction
};

struct ReadStats {
  int64_t examples = 0;   // examples handed to the callback
  int64_t entities = 0;
  int64_t cut_spans = 0;  // JSONL entities whose edges fall inside a word (labelled by overlap)
  int64_t repairs = 0;    // tags read leniently (see tag_scheme.h)
  int64_t skipped = 0;    // lines or examples dropped because of an error (collecting mode)
  int64_t skipped_annotations = 0;  // cancelled / other annotators' / non-accepted annotations not used
  int64_t ignored_relations = 0;    // doccano relations (triage has no relation head)
};

using ExampleSink = std::function<void(Example&&)>;

// file: CoNLL columns, blank lines between sentences, -DOCSTART- lines skipped.
ReadStats read_conll(const std::filesystem::path& file, const ReadOptions& options,
                     Diagnostics& diag, const ExampleSink& sink);
// dir: seq.in + seq.out (+ optional label). Token/tag count mismatches name the line.
ReadStats read_jointbert(const std::filesystem::path& dir, const ReadOptions& options,
                         Diagnostics& diag, const ExampleSink& sink);
// file: one JSON object per line (see docs/data.md); blank lines are skipped.
ReadStats read_jsonl(const std::filesystem::path& file, const ReadOptions& options,
                     Diagnostics& diag, const ExampleSink& sink);

// One example from a JSONL-shaped object ({"id", "text" | "turns", "entities", "intent"}),
// validated as read_jsonl validates each line: every problem goes to diag as
// "name:n: <where_prefix><message>"; false if there was any. The annotation-tool readers
// (annotation_formats.h) build such objects and validate them here. index numbers examples
// without an id ("<prefix>-<index>").
bool example_from_json(const nlohmann::json& j, const std::string& name, int64_t n, const std::string& where_prefix,
                       const std::string& prefix, int64_t index, Diagnostics& diag, ReadStats& stats, Example& e);

ReadStats read_examples(const std::filesystem::path& path, Format format,
                        const ReadOptions& options, Diagnostics& diag, const ExampleSink& sink);
std::vector<Example> read_all(const std::filesystem::path& path, Format format,
                              const ReadOptions& options = {});  // strict

// One readable unit found under a path given on the command line.
struct Source {
  std::filesystem::path path;
  Format format = Format::jsonl;
  std::string split;  // "train", "dev", "test", ... (the file stem or folder name)
};

// What a path holds: a file (format from --format, else .jsonl/.json -> jsonl, anything
// else -> conll), a JointBERT split folder (has seq.in), or a dataset folder whose
// entries are split folders, *.jsonl files or CoNLL files (*.conll, *.bio, *.iob).
// With format set, only sources of that format are taken. Sorted: train, dev, test, then
// others by name. Throws InputError when nothing readable is found.
std::vector<Source> find_sources(const std::filesystem::path& path,
                                 std::optional<Format> format = std::nullopt);

}  // namespace triage::data
