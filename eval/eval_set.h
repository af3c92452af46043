// What every triage-eval mode evaluates: sentences with gold and predicted tags and,
// optionally, gold and predicted intents. The predictions-file reader fills it from a
// CoNLL file; the model mode (model_eval.h) fills it from model::Predictor's predictions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace triage::eval {

struct EvalSentence {
  std::vector<std::string> tokens;  // words (kept for messages; metrics ignore them)
  std::vector<std::string> gold;    // one tag per token
  std::vector<std::string> pred;    // one tag per token
  std::optional<std::string> gold_intent;
  std::optional<std::string> pred_intent;
  int64_t line = 0;                 // 1-based line where the sentence starts; 0 = not from a file
  std::vector<int64_t> token_lines; // 1-based line of each token, or empty
};

struct EvalSet {
  std::string source;  // file name used in messages ("" for in-memory sets)
  std::vector<EvalSentence> sentences;

  // True when the sentences carry intents (then every sentence does).
  bool has_intents() const;
  int64_t token_count() const;
};

// "source:line" for sentence s, token t (t < 0: the sentence's first line).
std::string locate(const EvalSet& set, std::size_t sentence, int64_t token = -1);

}  // namespace triage::eval
