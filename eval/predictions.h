// Reader for triage-eval --predictions: a CoNLL file as conlleval reads it.
//
//   # intent: book_flight book_flight      optional, right before a sentence's first token
//   I PRP O O
//   fly VB O O
//   to TO O O
//   Paris NNP B-city B-city
//                                          blank line: end of sentence
//
// Token lines hold whitespace-separated columns (at least three, the same number on every
// line): the token first, the gold tag second to last, the predicted tag last. Lines
// starting with -DOCSTART- are skipped and end the current sentence. If any sentence has
// an intent line, every sentence must; an intent line followed by a blank line is a
// sentence with no tokens. Errors are InputError naming file:line.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "eval/eval_set.h"

namespace triage::eval {

EvalSet parse_predictions(std::string_view text, const std::string& source);
EvalSet read_predictions(const std::filesystem::path& file);

}  // namespace triage::eval
