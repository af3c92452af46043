// Label alignment (see align.h).
#include "data/align.h"

#include "data/utf8.h"

namespace triage::data {

EncodedExample encode_example(const Tokenizer& tokenizer, const Example& example,
                              const LabelSchema* schema, const EncodeOptions& options) {
  EncodedExample out;
  const auto& words = example.words;
  Encoding enc;
  std::vector<int32_t> word_of;
  bool by_words = false;
  if (example.pre_split && !words.empty()) {
    // the words as the file gave them, through the tokenizer one by one where it encodes
    // pre-split words differently from their text (tokenizer.json pipelines)
    std::vector<uint32_t> starts;
    utf8::code_point_starts(example.text, starts);
    std::vector<std::string> word_text;
    word_text.reserve(words.size());
    for (const CharRange& w : words)
      word_text.emplace_back(example.text.substr(starts[static_cast<size_t>(w.start)],
                                                 starts[static_cast<size_t>(w.end)] - starts[static_cast<size_t>(w.start)]));
    by_words = tokenizer.encode_pre_split(word_text, false, enc, word_of);
  }
  if (!by_words) enc = tokenizer.encode(example.text, false);
  const size_t n = enc.ids.size();
  out.ids = std::move(enc.ids);
  out.offsets.resize(n);
  out.word_ids.assign(n, -1);
  size_t w = 0;
  for (size_t i = 0; i < n; ++i) {
    CharRange r{enc.offsets[i].first, enc.offsets[i].second};
    if (by_words) {  // offsets within the word -> within the text
      const int32_t wi = word_of[i];
      if (wi >= 0) r = {r.start + words[static_cast<size_t>(wi)].start, r.end + words[static_cast<size_t>(wi)].start};
      out.offsets[i] = r;
      if (r.start < r.end) out.word_ids[i] = wi;
      continue;
    }
    out.offsets[i] = r;
    if (r.start >= r.end) continue;
    while (w < words.size() && words[w].end <= r.start) ++w;
    if (w < words.size() && words[w].start < r.end) out.word_ids[i] = static_cast<int32_t>(w);
  }
  if (!schema) return out;

  out.intent = schema->intent_id(example.intent);
  if (out.intent < 0) out.intent = kIgnoreLabel;
  constexpr int32_t kUnknown = -2;
  std::vector<int32_t> word_tag(words.size(), 0);
  for (const WordEntity& we : word_entities(example, &out.cut_spans)) {
    const int32_t type = schema->entity_type_id(we.label);
    if (type < 0) ++out.unseen_entities;
    for (int32_t k = we.begin; k < we.end; ++k)
      word_tag[static_cast<size_t>(k)] =
          type < 0 ? kUnknown
                   : k == we.begin ? LabelSchema::begin_tag(type) : LabelSchema::inside_tag(type);
  }
  out.labels.assign(n, kIgnoreLabel);
  for (size_t i = 0; i < n; ++i) {
    const int32_t wi = out.word_ids[i];
    if (wi < 0) continue;
    const int32_t tag = word_tag[static_cast<size_t>(wi)];
    if (tag == kUnknown) continue;
    const bool first_piece = i == 0 || out.word_ids[i - 1] != wi;
    if (options.label_mode == LabelMode::all_subwords || first_piece) out.labels[i] = tag;
  }
  return out;
}

}  // namespace triage::data
