// Label alignment (see align.h).
#include "data/align.h"

namespace triage::data {

EncodedExample encode_example(const Tokenizer& tokenizer, const Example& example,
                              const LabelSchema* schema, const EncodeOptions& options) {
  EncodedExample out;
  Encoding enc = tokenizer.encode(example.text, false);
  const size_t n = enc.ids.size();
  out.ids = std::move(enc.ids);
  out.offsets.resize(n);
  out.word_ids.assign(n, -1);
  const auto& words = example.words;
  size_t w = 0;
  for (size_t i = 0; i < n; ++i) {
    const CharRange r{enc.offsets[i].first, enc.offsets[i].second};
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
