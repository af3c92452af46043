// Entity-level metrics as seqeval computes them: classification_report (per type, micro,
// macro and weighted averages), precision/recall/f1_score, accuracy_score, in the default
// (lenient) or strict mode, plus a confusion matrix of entity types over spans.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/chunking.h"
#include "eval/scores.h"

namespace triage::eval {

enum class Mode { lenient, strict };  // seqeval mode=None ("default") / mode="strict"

struct EntityOptions {
  Mode mode = Mode::lenient;
  Scheme scheme = Scheme::IOB2;  // strict mode only
};

// Chunks of every sentence under the options (get_entities or strict_entities).
std::vector<Entity> extract_entities(const Sentences& sentences, const EntityOptions& options);

struct EntityReport {
  std::vector<LabelScores> types;  // sorted union of gold and predicted entity types
  Scores micro_avg;                // pooled counts
  Scores macro_avg;                // NaN when there is no entity at all (numpy mean of nothing)
  Scores weighted_avg;             // 0.0 when no gold entity (seqeval's early return)
};

enum class Average { micro, macro, weighted };

// seqeval classification_report(gold, pred, mode=..., scheme=...). gold and pred must have
// the same shape (std::invalid_argument otherwise); strict mode throws TagError.
EntityReport entity_report(const Sentences& gold, const Sentences& pred, const EntityOptions& options = {});
// seqeval precision_score / recall_score / f1_score with average=...
double entity_precision(const Sentences& gold, const Sentences& pred, const EntityOptions& options = {},
                        Average average = Average::micro);
double entity_recall(const Sentences& gold, const Sentences& pred, const EntityOptions& options = {},
                     Average average = Average::micro);
double entity_f1(const Sentences& gold, const Sentences& pred, const EntityOptions& options = {},
                 Average average = Average::micro);
// seqeval accuracy_score: fraction of tokens whose tag is right (NaN for zero tokens).
double tag_accuracy(const Sentences& gold, const Sentences& pred);

// seqeval's string (digits=digits); unlike seqeval it also prints a report with no types.
std::string format_entity_report(const EntityReport& report, int digits = 4);
// classification_report(..., output_dict=True): per type, "micro avg", "macro avg",
// "weighted avg"; NaN as null.
nlohmann::ordered_json entity_report_json(const EntityReport& report);

// Gold type x predicted type over spans. A gold entity whose exact span the prediction also
// has counts under (gold type, predicted type); otherwise under (gold type, none). A
// predicted entity whose span gold lacks counts under (none, predicted type).
struct EntityConfusion {
  std::vector<std::string> types;          // sorted; index types.size() is "none"
  std::vector<std::vector<int64_t>> counts;  // [gold][pred], (types.size() + 1)^2
};
EntityConfusion entity_confusion(const Sentences& gold, const Sentences& pred, const EntityOptions& options = {});
// A right-aligned table, rows gold, columns predicted, "none" last.
std::string format_entity_confusion(const EntityConfusion& confusion);
// {"types": [...], "none": "none", "matrix": [[...]]} with rows gold, columns predicted.
nlohmann::ordered_json entity_confusion_json(const EntityConfusion& confusion);

}  // namespace triage::eval
