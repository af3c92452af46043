// The seam for `triage-eval --model DIR --data PATH`: the data layer reads labelled
// examples (conll / jointbert / jsonl), a Tagger wraps the model's shared decode path
// (word-level tags, first sub-word per word, and the intent head), and tag_examples turns
// both into the EvalSet every report is computed from. Torch-free: the torch-side Tagger
// lives with the model, so this library and its tests build without libtorch.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "eval/eval_set.h"

namespace triage::eval {

// One gold example, word level (as the data readers produce it).
struct LabelledExample {
  std::vector<std::string> words;
  std::vector<std::string> tags;    // gold, one per word
  std::optional<std::string> intent;  // gold intent, if the data set has intents
  int64_t line = 0;                 // 1-based source line (0 if unknown), for messages
};

// What the model predicts for one example: one tag per word, and an intent when the
// model has an intent head.
struct Tagging {
  std::vector<std::string> tags;
  std::optional<std::string> intent;
};

class Tagger {
 public:
  virtual ~Tagger() = default;
  // One Tagging per example, in order. Must not depend on how examples are batched.
  virtual std::vector<Tagging> tag(std::span<const LabelledExample> batch) = 0;
};

// Tags examples in batches of batch_size (>= 1) and pairs predictions with gold. Throws
// triage::Error when the tagger returns the wrong number of taggings or tags, and
// InputError when the data has intents but the model has no intent head.
EvalSet tag_examples(const std::vector<LabelledExample>& examples, Tagger& tagger, std::size_t batch_size,
                     const std::string& source);

}  // namespace triage::eval
