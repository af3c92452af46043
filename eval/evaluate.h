// Every number triage-eval reports, from an EvalSet: the token-level report (scikit-learn),
// the entity-level report (seqeval, default or strict mode), the intent report, sentence
// (semantic frame) accuracy and the entity type confusion matrix; as text and as JSON.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "eval/classification_report.h"
#include "eval/entity_report.h"
#include "eval/eval_set.h"

namespace triage::eval {

struct EvalOptions {
  Mode mode = Mode::lenient;           // seqeval default (lenient) or strict chunking
  std::optional<Scheme> scheme = Scheme::IOB2;  // strict mode; nullopt = seqeval auto_detect on gold
};

struct EvalResult {
  Mode mode = Mode::lenient;
  Scheme scheme = Scheme::IOB2;        // the scheme used (strict mode)
  int64_t sentences = 0;
  int64_t tokens = 0;
  ClassificationReport token_report;   // sklearn classification_report over flattened tags
  EntityReport entity_report;          // seqeval classification_report
  double tag_accuracy = 0.0;           // seqeval accuracy_score
  std::optional<ClassificationReport> intent_report;  // when the set has intents
  // Sentences whose tags are all right and (with intents) whose intent is right, over all
  // sentences (JointBERT's semantic frame accuracy).
  double sentence_accuracy = 0.0;
  EntityConfusion confusion;
};

// Throws InputError naming source:line for tags the strict scheme rejects, for gold/pred
// length mismatches and for a set with no tokens.
EvalResult evaluate(const EvalSet& set, const EvalOptions& options = {});

// The printed report: each section under a "== title ==" line.
std::string format_result(const EvalResult& result, int digits = 4);
// The JSON document (schema in docs/eval.md).
nlohmann::ordered_json result_json(const EvalResult& result);

std::string_view mode_name(Mode mode);  // "default" / "strict"

}  // namespace triage::eval
