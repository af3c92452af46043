// Writers (see writers.h).
#include "data/writers.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file_io.h"
#include "data/annotation_formats.h"
#include "data/utf8.h"

namespace triage::data {

namespace fs = std::filesystem;

std::vector<std::string> WriteReport::warnings() const {
  std::vector<std::string> w;
  auto add = [&](int64_t n, const char* what) {
    if (n > 0) w.push_back(std::to_string(n) + " " + what);
  };
  add(flattened_transcripts, "multi-turn transcript(s) flattened to one word sequence (speaker prefixes become words)");
  add(widened_spans, "entity span(s) cut through a word and were widened to whole words");
  add(dropped_intents, "intent(s) dropped (CoNLL has no intent column)");
  add(dropped_extra_fields, "extra JSONL field value(s) dropped");
  add(merged_entities, "adjacent same-type entities merged (the IO scheme cannot separate them)");
  add(lost_whitespace, "text(s) whose spacing is not a single space between words (re-joined with single spaces)");
  return w;
}

namespace {

// The example as words and tags, counting losses.
void to_words_and_tags(const Example& e, const WriteOptions& o, WriteReport& report,
                       std::vector<std::string>& words, std::vector<std::string>& tags) {
  std::vector<char32_t> cps;
  utf8::decode(e.text, cps);
  words.clear();
  int32_t prev_end = -1;
  bool spacing = true;
  for (const CharRange& w : e.words) {
    words.push_back(utf8::encode(std::u32string_view(cps.data() + w.start, static_cast<size_t>(w.end - w.start))));
    if (prev_end >= 0 && !(w.start == prev_end + 1 && cps[static_cast<size_t>(prev_end)] == U' ')) spacing = false;
    prev_end = w.end;
  }
  if (!e.words.empty() && (e.words.front().start != 0 || e.words.back().end != static_cast<int32_t>(cps.size())))
    spacing = false;
  if (!spacing) ++report.lost_whitespace;
  if (!e.turns.empty()) ++report.flattened_transcripts;
  int32_t cut = 0;
  std::vector<WordEntity> ents = word_entities(e, &cut);
  report.widened_spans += cut;
  if (o.scheme == TagScheme::io)
    for (size_t k = 1; k < ents.size(); ++k)
      if (ents[k].begin == ents[k - 1].end && ents[k].label == ents[k - 1].label) ++report.merged_entities;
  tags = entities_to_tags(ents, static_cast<int32_t>(words.size()), o.scheme);
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ' ';
    s += v[i];
  }
  return s;
}

}  // namespace

void write_jsonl(const fs::path& file, const std::vector<Example>& examples, WriteReport& report) {
  using nlohmann::ordered_json;
  std::string out;
  for (const Example& e : examples) {
    ordered_json j;
    j["id"] = e.id;
    ordered_json ents = ordered_json::array();
    if (e.turns.empty()) {
      j["text"] = e.text;
      for (const EntitySpan& s : e.entities)
        ents.push_back({{"start", s.start}, {"end", s.end}, {"label", s.label}});
    } else {
      ordered_json turns = ordered_json::array();
      for (const Turn& t : e.turns) turns.push_back({{"speaker", t.speaker}, {"text", t.text}});
      j["turns"] = std::move(turns);
      for (const EntitySpan& s : e.entities) {
        size_t t = 0;
        while (t + 1 < e.turns.size() && s.start >= e.turns[t + 1].offset) ++t;
        const int32_t base = e.turns[t].offset;
        if (s.start < base || s.end > base + e.turns[t].length)
          throw InputError(e.source.file + ":" + std::to_string(e.source.line) + ": entity [" +
                           std::to_string(s.start) + ", " + std::to_string(s.end) +
                           ") is not inside one turn");
        ents.push_back({{"turn", t}, {"start", s.start - base}, {"end", s.end - base}, {"label", s.label}});
      }
    }
    j["entities"] = std::move(ents);
    if (!e.intent.empty()) j["intent"] = e.intent;
    for (const auto& [k, v] : e.extra) j[k] = ordered_json::parse(v);
    out += j.dump();
    out += '\n';
    ++report.examples;
  }
  write_file_atomic(file, out);
}

void write_jointbert(const fs::path& dir, const std::vector<Example>& examples,
                     const WriteOptions& options, WriteReport& report) {
  fs::create_directories(dir);
  std::string in, out, label;
  bool any_intent = false;
  std::vector<std::string> words, tags;
  for (const Example& e : examples) {
    to_words_and_tags(e, options, report, words, tags);
    if (words.empty())
      throw InputError(e.source.file + ":" + std::to_string(e.source.line) + ": example '" + e.id +
                       "' has no words; JointBERT cannot hold an empty utterance");
    in += join(words) + '\n';
    out += join(tags) + '\n';
    label += e.intent + '\n';
    any_intent = any_intent || !e.intent.empty();
    report.dropped_extra_fields += static_cast<int64_t>(e.extra.size());
    ++report.examples;
  }
  write_file_atomic(dir / "seq.in", in);
  write_file_atomic(dir / "seq.out", out);
  if (any_intent) write_file_atomic(dir / "label", label);
}

void write_conll(const fs::path& file, const std::vector<Example>& examples,
                 const WriteOptions& options, WriteReport& report) {
  std::string out;
  std::vector<std::string> words, tags;
  for (const Example& e : examples) {
    to_words_and_tags(e, options, report, words, tags);
    for (size_t i = 0; i < words.size(); ++i) out += words[i] + ' ' + tags[i] + '\n';
    out += '\n';
    if (!e.intent.empty()) ++report.dropped_intents;
    report.dropped_extra_fields += static_cast<int64_t>(e.extra.size());
    ++report.examples;
  }
  write_file_atomic(file, out);
}

void write_examples(const fs::path& path, Format format, const std::vector<Example>& examples,
                    const WriteOptions& options, WriteReport& report) {
  switch (format) {
    case Format::conll: return write_conll(path, examples, options, report);
    case Format::jointbert: return write_jointbert(path, examples, options, report);
    case Format::jsonl: return write_jsonl(path, examples, report);
    case Format::labelstudio: return write_labelstudio(path, examples, report);
    case Format::doccano: return write_doccano(path, examples, report);
    case Format::prodigy: return write_prodigy(path, examples, report);
  }
}

}  // namespace triage::data
