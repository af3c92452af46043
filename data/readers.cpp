// Readers for CoNLL, JointBERT and JSONL (see readers.h).
#include "data/readers.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/annotation_formats.h"
#include "data/utf8.h"
#include "data/words.h"

namespace triage::data {

namespace fs = std::filesystem;

std::optional<Format> parse_format(std::string_view name) {
  if (name == "conll") return Format::conll;
  if (name == "jointbert") return Format::jointbert;
  if (name == "jsonl") return Format::jsonl;
  if (name == "labelstudio") return Format::labelstudio;
  if (name == "doccano") return Format::doccano;
  if (name == "prodigy") return Format::prodigy;
  return std::nullopt;
}

const char* format_name(Format format) {
  switch (format) {
    case Format::conll: return "conll";
    case Format::jointbert: return "jointbert";
    case Format::jsonl: return "jsonl";
    case Format::labelstudio: return "labelstudio";
    case Format::doccano: return "doccano";
    case Format::prodigy: return "prodigy";
  }
  return "?";
}

std::string Diagnostic::to_string() const {
  return line > 0 ? file + ":" + std::to_string(line) + ": " + message : file + ": " + message;
}

void Diagnostics::error(const std::string& file, int64_t line, std::string message) {
  Diagnostic d{file, line, std::move(message)};
  if (throw_on_error_) throw InputError(d.to_string());
  errors_.push_back(std::move(d));
}

void Diagnostics::warn(const std::string& file, int64_t line, std::string message) {
  warnings_.push_back({file, line, std::move(message)});
}

namespace {

// getline that strips a trailing '\r' (files exported on Windows).
bool next_line(std::istream& in, std::string& line) {
  if (!std::getline(in, line)) return false;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

std::ifstream open_or_throw(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(file.string() + ": cannot open: " + std::strerror(errno));
  return in;
}

// Splits on spaces and tabs, dropping empty fields (trailing spaces tolerated).
void split_fields(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Builds the example text from words joined by one space, and the entities from tags.
// Returns false (after reporting) when a tag is malformed.
bool example_from_words(const std::vector<std::string_view>& words,
                        const std::vector<std::string_view>& tags, const ReadOptions& options,
                        const std::string& file, int64_t line, Diagnostics& diag,
                        ReadStats& stats, Example& e) {
  bool ok = true;
  for (size_t i = 0; i < tags.size(); ++i) {
    char p;
    std::string_view type;
    if (!split_tag(tags[i], p, type)) {
      diag.error(file, line, "tag " + std::to_string(i + 1) + " '" + std::string(tags[i]) +
                                 "' is not O, a bare type, or a B-/I-/E-/S- prefix with a type");
      ok = false;
    }
  }
  if (!ok) return false;
  e.text.clear();
  e.words.clear();
  e.pre_split = true;
  int32_t at = 0;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) {
      e.text += ' ';
      ++at;
    }
    e.text += words[i];
    const int32_t n = code_point_count(words[i]);
    e.words.push_back({at, at + n});
    at += n;
  }
  TagDecodeResult r = tags_to_entities(tags, options.scheme);
  if (r.repairs > 0) {
    stats.repairs += r.repairs;
    diag.warn(file, line, std::to_string(r.repairs) + " tag(s) invalid in " +
                              tag_scheme_name(options.scheme) + ", read leniently");
  }
  e.entities.clear();
  for (WordEntity& we : r.entities) {
    CharRange c = word_span(e, we.begin, we.end);
    e.entities.push_back({c.start, c.end, std::move(we.label)});
  }
  stats.entities += static_cast<int64_t>(e.entities.size());
  return true;
}

}  // namespace

ReadStats read_conll(const fs::path& file, const ReadOptions& options, Diagnostics& diag,
                     const ExampleSink& sink) {
  std::ifstream in = open_or_throw(file);
  const std::string name = file.string();
  const std::string prefix = options.id_prefix.empty() ? file.stem().string() : options.id_prefix;
  ReadStats stats;
  std::vector<std::string> words, tags;  // owned: lines are reused
  std::vector<std::string_view> fields;
  int64_t first_line = 0;
  bool bad = false;
  auto flush = [&]() {
    if (words.empty()) {
      bad = false;
      return;
    }
    if (bad) {
      ++stats.skipped;
    } else {
      std::vector<std::string_view> w(words.begin(), words.end()), t(tags.begin(), tags.end());
      Example e;
      e.id = prefix + "-" + std::to_string(stats.examples + stats.skipped);
      e.source = {name, first_line};
      if (example_from_words(w, t, options, name, first_line, diag, stats, e)) {
        ++stats.examples;
        sink(std::move(e));
      } else {
        ++stats.skipped;
      }
    }
    words.clear();
    tags.clear();
    bad = false;
  };
  std::string line;
  int64_t n = 0;
  while (next_line(in, line)) {
    ++n;
    if (!utf8::valid(line)) {
      diag.error(name, n, "invalid UTF-8");
      bad = true;
      if (words.empty()) first_line = n, words.emplace_back(), tags.emplace_back();
      continue;
    }
    split_fields(line, fields);
    if (fields.empty()) {
      flush();
      continue;
    }
    if (fields[0] == "-DOCSTART-") continue;
    const int32_t tag_col = options.conll_tag_column >= 0
                                ? options.conll_tag_column
                                : static_cast<int32_t>(fields.size()) - 1;
    const int32_t need = std::max(tag_col, options.conll_word_column) + 1;
    if (words.empty()) first_line = n;
    if (static_cast<int32_t>(fields.size()) < need || (options.conll_tag_column < 0 && fields.size() < 2)) {
      diag.error(name, n, "expected at least " + std::to_string(std::max(need, 2)) +
                              " whitespace-separated columns (word ... tag), found " +
                              std::to_string(fields.size()));
      bad = true;
      words.emplace_back();
      tags.emplace_back();
      continue;
    }
    words.emplace_back(fields[static_cast<size_t>(options.conll_word_column)]);
    tags.emplace_back(fields[static_cast<size_t>(tag_col)]);
  }
  flush();
  return stats;
}

ReadStats read_jointbert(const fs::path& dir, const ReadOptions& options, Diagnostics& diag,
                         const ExampleSink& sink) {
  const fs::path in_path = dir / "seq.in", out_path = dir / "seq.out", label_path = dir / "label";
  if (!fs::exists(in_path) || !fs::exists(out_path))
    throw InputError(dir.string() + ": not a JointBERT split folder (needs seq.in and seq.out)");
  std::ifstream in = open_or_throw(in_path), out = open_or_throw(out_path);
  std::ifstream lab;
  const bool has_label = fs::exists(label_path);
  if (has_label) lab = open_or_throw(label_path);
  const std::string in_name = in_path.string(), out_name = out_path.string(),
                    label_name = label_path.string();
  std::string prefix = options.id_prefix;
  if (prefix.empty()) prefix = fs::absolute(dir).lexically_normal().filename().string();
  if (prefix.empty()) prefix = fs::absolute(dir).lexically_normal().parent_path().filename().string();

  ReadStats stats;
  std::string a, b, c;
  std::vector<std::string_view> words, tags;
  int64_t n = 0;
  while (true) {
    const bool ga = next_line(in, a), gb = next_line(out, b);
    const bool gc = has_label ? next_line(lab, c) : false;
    if (!ga && !gb && (!has_label || !gc)) break;
    ++n;
    if (ga != gb || (has_label && ga != gc)) {
      diag.error(in_name, n, "seq.in, seq.out" + std::string(has_label ? " and label" : "") +
                                 " have different line counts: " +
                                 (ga ? "" : "seq.in ") + (gb ? "" : "seq.out ") +
                                 (has_label && !gc ? "label " : "") + "ended at line " +
                                 std::to_string(n - 1));
      ++stats.skipped;
      break;
    }
    bool ok = true;
    if (!utf8::valid(a)) diag.error(in_name, n, "invalid UTF-8"), ok = false;
    if (!utf8::valid(b)) diag.error(out_name, n, "invalid UTF-8"), ok = false;
    if (has_label && !utf8::valid(c)) diag.error(label_name, n, "invalid UTF-8"), ok = false;
    if (!ok) {
      ++stats.skipped;
      continue;
    }
    split_fields(a, words);
    split_fields(b, tags);
    if (words.empty() && tags.empty()) {
      diag.warn(in_name, n, "blank line skipped");
      continue;
    }
    if (words.size() != tags.size()) {
      diag.error(in_name, n, std::to_string(words.size()) + " tokens in seq.in but " +
                                 std::to_string(tags.size()) + " tags in " + out_name + ":" +
                                 std::to_string(n));
      ++stats.skipped;
      continue;
    }
    Example e;
    e.id = prefix + "-" + std::to_string(n - 1);
    e.source = {in_name, n};
    if (has_label) e.intent = std::string(trim(c));
    if (!example_from_words(words, tags, options, out_name, n, diag, stats, e)) {
      ++stats.skipped;
      continue;
    }
    ++stats.examples;
    sink(std::move(e));
  }
  return stats;
}

namespace {

std::string span_text(int64_t start, int64_t end, const std::string& label) {
  std::string s(1, '[');  // (appends: GCC 12 warns -Wrestrict on "[" + to_string(...))
  s.append(std::to_string(start)).append(", ").append(std::to_string(end)).append(") '").append(label).append("'");
  return s;
}

}  // namespace

bool example_from_json(const nlohmann::json& j, const std::string& name, int64_t n, const std::string& where_prefix,
                       const std::string& prefix, int64_t index, Diagnostics& diag, ReadStats& stats, Example& e) {
  using nlohmann::json;
  if (!j.is_object()) {
    diag.error(name, n, where_prefix + "expected a JSON object, found " + j.type_name());
    return false;
  }
  bool ok = true;
  auto fail = [&](std::string msg) {
    diag.error(name, n, where_prefix + msg);
    ok = false;
  };
  std::string id;
  if (auto it = j.find("id"); it != j.end()) {
    if (it->is_string()) id = it->get<std::string>();
    else if (it->is_number_integer()) id = std::to_string(it->get<int64_t>());
    else fail(std::string("\"id\" must be a string or an integer, found ") + it->type_name());
  } else {
    id = prefix + "-" + std::to_string(index);
  }
  const auto text_it = j.find("text"), turns_it = j.find("turns");
  const bool has_text = text_it != j.end(), has_turns = turns_it != j.end();
  if (has_text == has_turns) {
    fail(has_text ? "has both \"text\" and \"turns\"; give one"
                  : "needs \"text\" (a string) or \"turns\" (a list of {speaker, text})");
    return false;
  }
  if (has_text) {
    if (!text_it->is_string()) {
      fail(std::string("\"text\" must be a string, found ") + text_it->type_name());
      return false;
    }
    e = make_text_example(std::move(id), text_it->get<std::string>());
  } else {
    if (!turns_it->is_array() || turns_it->empty()) {
      fail("\"turns\" must be a non-empty list of {speaker, text}");
      return false;
    }
    std::vector<std::pair<std::string, std::string>> turns;
    for (size_t t = 0; t < turns_it->size(); ++t) {
      const json& tj = (*turns_it)[t];
      const std::string where = "turn " + std::to_string(t);
      if (!tj.is_object() || !tj.contains("text") || !tj["text"].is_string()) {
        fail(where + ": expected {\"speaker\": string, \"text\": string}");
        continue;
      }
      std::string speaker;
      if (tj.contains("speaker")) {
        if (!tj["speaker"].is_string()) {
          fail(where + ": \"speaker\" must be a string");
          continue;
        }
        speaker = tj["speaker"].get<std::string>();
        if (speaker.find('\n') != std::string::npos) {
          fail(where + ": \"speaker\" contains a newline");
          continue;
        }
      }
      turns.emplace_back(std::move(speaker), tj["text"].get<std::string>());
    }
    if (!ok) return false;
    e = make_turns_example(std::move(id), turns);
  }
  e.source = {name, n};
  const int32_t text_len = code_point_count(e.text);

  if (auto it = j.find("intent"); it != j.end() && !it->is_null()) {
    if (it->is_string()) e.intent = it->get<std::string>();
    else fail(std::string("\"intent\" must be a string, found ") + it->type_name());
  }
  if (auto it = j.find("entities"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) {
      fail(std::string("\"entities\" must be a list, found ") + it->type_name());
    } else {
      for (size_t k = 0; k < it->size(); ++k) {
        const json& ej = (*it)[k];
        const std::string where = "entity " + std::to_string(k);
        if (!ej.is_object() || !ej.contains("start") || !ej.contains("end") ||
            !ej.contains("label") || !ej["start"].is_number_integer() ||
            !ej["end"].is_number_integer() || !ej["label"].is_string()) {
          fail(where + ": expected {\"start\": int, \"end\": int, \"label\": string" +
               std::string(has_turns ? ", \"turn\": int}" : "}") + ", found " + ej.dump());
          continue;
        }
        const int64_t start = ej["start"].get<int64_t>(), end = ej["end"].get<int64_t>();
        std::string label = ej["label"].get<std::string>();
        const std::string sp = where + " " + span_text(start, end, label);
        if (label.empty()) {
          fail(sp + ": empty label");
          continue;
        }
        int64_t base = 0, limit = text_len;
        if (has_turns) {
          if (!ej.contains("turn") || !ej["turn"].is_number_integer()) {
            fail(sp + ": needs an integer \"turn\" (the offsets are within that turn's text)");
            continue;
          }
          const int64_t t = ej["turn"].get<int64_t>();
          if (t < 0 || t >= static_cast<int64_t>(e.turns.size())) {
            fail(sp + ": turn " + std::to_string(t) + " does not exist (" +
                 std::to_string(e.turns.size()) + " turns)");
            continue;
          }
          base = e.turns[static_cast<size_t>(t)].offset;
          limit = e.turns[static_cast<size_t>(t)].length;
        }
        if (start > end) {
          fail(sp + ": reversed (start > end)");
          continue;
        }
        if (start == end) {
          fail(sp + ": empty (start == end)");
          continue;
        }
        if (start < 0 || end > limit) {
          fail(sp + ": out of range; the " + std::string(has_turns ? "turn's " : "") +
               "text has " + std::to_string(limit) + " code points");
          continue;
        }
        e.entities.push_back({static_cast<int32_t>(base + start), static_cast<int32_t>(base + end),
                              std::move(label)});
      }
      std::stable_sort(e.entities.begin(), e.entities.end(),
                       [](const EntitySpan& x, const EntitySpan& y) { return x.start < y.start; });
      for (size_t k = 1; k < e.entities.size(); ++k) {
        const EntitySpan &p = e.entities[k - 1], &q = e.entities[k];
        if (q.start < p.end)
          fail("entities " + span_text(p.start, p.end, p.label) + " and " +
               span_text(q.start, q.end, q.label) + " overlap" +
               (has_turns ? " (offsets in the whole transcript)" : ""));
      }
    }
  }
  if (!ok) return false;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (k != "id" && k != "text" && k != "turns" && k != "entities" && k != "intent")
      e.extra.emplace_back(k, it.value().dump());
  }
  int32_t cut = 0;
  word_entities(e, &cut);
  if (cut > 0) {
    stats.cut_spans += cut;
    diag.warn(name, n, where_prefix + std::to_string(cut) + " entity span(s) cut through a word; every "
                           "sub-word they touch is labelled");
  }
  stats.entities += static_cast<int64_t>(e.entities.size());
  return true;
}

namespace {

// Parses one JSONL line into e; reports every problem it finds; false if any.
bool parse_jsonl_object(const std::string& line, const std::string& name, int64_t n, const std::string& prefix,
                        int64_t index, Diagnostics& diag, ReadStats& stats, Example& e) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& ex) {
    diag.error(name, n, std::string("invalid JSON: ") + ex.what());
    return false;
  }
  return example_from_json(j, name, n, "", prefix, index, diag, stats, e);
}

}  // namespace

ReadStats read_jsonl(const fs::path& file, const ReadOptions& options, Diagnostics& diag,
                     const ExampleSink& sink) {
  std::ifstream in = open_or_throw(file);
  const std::string name = file.string();
  const std::string prefix = options.id_prefix.empty() ? file.stem().string() : options.id_prefix;
  ReadStats stats;
  std::string line;
  int64_t n = 0, index = 0;
  while (next_line(in, line)) {
    ++n;
    if (trim(line).empty()) continue;
    if (!utf8::valid(line)) {
      diag.error(name, n, "invalid UTF-8");
      ++stats.skipped;
      ++index;
      continue;
    }
    Example e;
    if (parse_jsonl_object(line, name, n, prefix, index++, diag, stats, e)) {
      ++stats.examples;
      sink(std::move(e));
    } else {
      ++stats.skipped;
    }
  }
  return stats;
}

ReadStats read_examples(const fs::path& path, Format format, const ReadOptions& options,
                        Diagnostics& diag, const ExampleSink& sink) {
  switch (format) {
    case Format::conll: return read_conll(path, options, diag, sink);
    case Format::jointbert: return read_jointbert(path, options, diag, sink);
    case Format::jsonl: return read_jsonl(path, options, diag, sink);
    case Format::labelstudio: return read_labelstudio(path, options, diag, sink);
    case Format::doccano: return read_doccano(path, options, diag, sink);
    case Format::prodigy: return read_prodigy(path, options, diag, sink);
  }
  return {};
}

std::vector<Example> read_all(const fs::path& path, Format format, const ReadOptions& options) {
  Diagnostics diag(true);
  std::vector<Example> out;
  read_examples(path, format, options, diag, [&](Example&& e) { out.push_back(std::move(e)); });
  return out;
}

namespace {

std::optional<Format> file_format(const fs::path& p) {
  const std::string ext = p.extension().string();
  if (ext == ".jsonl" || ext == ".json") return detect_json_format(p).value_or(Format::jsonl);
  if (ext == ".conll" || ext == ".txt" || ext == ".bio" || ext == ".iob" || ext == ".tsv")
    return Format::conll;
  return std::nullopt;
}

int split_rank(const std::string& s) {
  if (s == "train") return 0;
  if (s == "dev" || s == "valid" || s == "validation") return 1;
  if (s == "test") return 2;
  return 3;
}

}  // namespace

std::vector<Source> find_sources(const fs::path& path, std::optional<Format> format) {
  std::vector<Source> out;
  if (!fs::exists(path)) throw InputError(path.string() + ": no such file or directory");
  auto split_of = [](const fs::path& p) {
    std::string s = fs::is_directory(p) ? fs::absolute(p).lexically_normal().filename().string()
                                        : p.stem().string();
    return s;
  };
  if (!fs::is_directory(path)) {
    Format f = format ? *format : file_format(path).value_or(Format::conll);
    if (f == Format::jointbert)
      throw InputError(path.string() + ": --format jointbert needs a folder with seq.in and seq.out");
    out.push_back({path, f, split_of(path)});
    return out;
  }
  if (fs::exists(path / "seq.in")) {
    if (format && *format != Format::jointbert)
      throw InputError(path.string() + ": a JointBERT folder (seq.in), not " + format_name(*format));
    out.push_back({path, Format::jointbert, split_of(path)});
    return out;
  }
  std::vector<fs::path> entries;
  for (const auto& ent : fs::directory_iterator(path)) entries.push_back(ent.path());
  std::sort(entries.begin(), entries.end());
  for (const fs::path& p : entries) {
    if (fs::is_directory(p)) {
      if (fs::exists(p / "seq.in") && (!format || *format == Format::jointbert))
        out.push_back({p, Format::jointbert, p.filename().string()});
    } else if (auto f = file_format(p); f && (!format || *format == *f)) {
      // .txt and .tsv are too common to guess (label lists, meta.tsv): name them directly.
      if (*f == Format::conll && (p.extension() == ".tsv" || p.extension() == ".txt")) continue;
      out.push_back({p, *f, p.stem().string()});
    }
  }
  if (out.empty())
    throw InputError(path.string() + ": found no JointBERT split folders, *.jsonl or CoNLL "
                                     "files (*.conll, *.bio, *.iob)" +
                     (format ? std::string(" of format ") + format_name(*format) : ""));
  std::stable_sort(out.begin(), out.end(), [](const Source& a, const Source& b) {
    return split_rank(a.split) < split_rank(b.split);
  });
  return out;
}

}  // namespace triage::data
