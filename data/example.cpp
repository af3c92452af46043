// Example construction helpers (see example.h).
#include "data/example.h"

#include "core/error.h"
#include "data/tag_scheme.h"
#include "data/utf8.h"
#include "data/words.h"

namespace triage::data {

Example make_text_example(std::string id, std::string text) {
  Example e;
  e.id = std::move(id);
  e.text = std::move(text);
  e.words = split_words(e.text);
  return e;
}

Example make_turns_example(std::string id,
                           const std::vector<std::pair<std::string, std::string>>& turns) {
  Example e;
  e.id = std::move(id);
  int32_t at = 0;
  for (size_t i = 0; i < turns.size(); ++i) {
    const auto& [speaker, text] = turns[i];
    if (!utf8::valid(speaker) || !utf8::valid(text))
      throw InputError("turn " + std::to_string(i) + ": invalid UTF-8");
    if (speaker.find('\n') != std::string::npos)
      throw InputError("turn " + std::to_string(i) + ": speaker contains a newline");
    if (i > 0) {
      e.text += '\n';
      ++at;
    }
    if (!speaker.empty()) {
      e.text += speaker;
      e.text += ": ";
      at += code_point_count(speaker) + 2;
    }
    Turn t;
    t.speaker = speaker;
    t.text = text;
    t.offset = at;
    t.length = code_point_count(text);
    e.text += text;
    at += t.length;
    e.turns.push_back(std::move(t));
  }
  e.words = split_words(e.text);
  return e;
}

std::vector<WordEntity> word_entities(const Example& example, int32_t* cut_spans) {
  std::vector<WordEntity> out;
  int32_t cut = 0;
  const auto& words = example.words;
  size_t w = 0;
  for (const EntitySpan& s : example.entities) {
    while (w < words.size() && words[w].end <= s.start) ++w;
    size_t b = w, e = w;
    while (e < words.size() && words[e].start < s.end) ++e;
    if (b == e) {
      ++cut;
      continue;
    }
    if (words[b].start != s.start || words[e - 1].end != s.end) ++cut;
    // A word already claimed by the previous entity (two entities cutting one word).
    if (!out.empty() && out.back().end > static_cast<int32_t>(b)) {
      ++cut;
      if (out.back().end >= static_cast<int32_t>(e)) continue;
      b = static_cast<size_t>(out.back().end);
    }
    out.push_back({static_cast<int32_t>(b), static_cast<int32_t>(e), s.label});
  }
  if (cut_spans) *cut_spans = cut;
  return out;
}

}  // namespace triage::data
