// Routing rules: the queue a request goes to, from its intent, its confidence and its
// entities. Loaded from YAML (configs/routing.yaml shows every key), validated at start and
// on reload; errors name the file, line and rule. Torch-free: the server calls route()
// after decoding, the fuzz build links it without torch.
//
// Order of evaluation (first that applies wins):
//   1. overrides, in file order (an entity label present, optionally with a numeric
//      threshold on the entity's value, optionally only a valid one (require_valid: the
//      label's entry under `validators`, serve/validators.h), optionally restricted to an
//      intent);
//      An override whose entity is found but below its min_entity_score abstains instead:
//      fallback_queue, fallback = true, reason "low_entity_confidence:<rule>:<score> < <min>";
//   2. intent confidence below min_intent_confidence, or the top two intents' scores closer
//      than min_intent_margin -> fallback_queue (fallback = true);
//   3. the intent map (intent label -> queue);
//   4. default_queue.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "serve/validators.h"

namespace triage::serve {

struct RoutedEntity {
  std::string label;  // entity type, e.g. "error_code"
  std::string text;   // surface text, e.g. "$1,200.50"
  float score = 0.f;
  std::optional<bool> valid;  // validate(label, text) when the caller has it; route() checks it when unset
};

struct RouteInput {
  bool has_intent = false;  // false when the model has no intent head
  std::string intent;       // winning intent label
  float intent_score = 0.f;
  float runner_up_score = 0.f;  // the second intent's score (0 with one intent)
  std::vector<RoutedEntity> entities;
};

// One step of a decision as it was evaluated ("explain": true): the rule ("override:<name>",
// "min_intent_confidence", "min_intent_margin", "intents", "default_queue"), whether it
// decided, and why (the entity, its score and validity, the value and threshold compared).
struct ExplainStep {
  std::string rule;
  bool matched = false;
  std::string why;
};

struct RouteDecision {
  std::string queue;
  // "override:<rule>", "low_entity_confidence:<rule>:<score> < <min>", "low_confidence:<score> < <min>",
  // "low_margin:<margin> < <min>", "intent:<label>", "default"
  std::string reason;
  bool fallback = false;
};

class RoutingRules {
 public:
  // Throws InputError naming file:line, the rule and what was expected/found.
  static RoutingRules load_file(const std::string& path);
  static RoutingRules load_string(const std::string& yaml, const std::string& source);
  // No rules file: the queue is the intent label; without an intent, "default".
  static RoutingRules defaults();

  // Every intent and entity label the rules name must exist in the model; throws
  // InputError naming the rule and the nearest valid label otherwise.
  void validate_labels(const std::vector<std::string>& entity_types,
                       const std::vector<std::string>& intents) const;

  // With `explain`, also every step evaluated, in order, up to the one that decided.
  RouteDecision route(const RouteInput& input, std::vector<ExplainStep>* explain = nullptr) const;
  // The rules' content version (12 hex digits of the YAML text; "defaults" without a file).
  const std::string& version() const { return version_; }

  // The entity's validity under its label's validator; nullopt when the label has none.
  std::optional<bool> validate(const std::string& label, std::string_view text) const;

  std::vector<std::string> queues() const;  // every queue a decision can name, sorted, unique
  size_t rule_count() const;                // number of overrides + intent mappings
  const std::string& source() const { return source_; }

 private:
  struct Override {
    std::string name;
    std::string entity;            // empty: any entity (then intent must be set)
    std::string intent;            // empty: any intent
    bool has_greater_than = false;
    double greater_than = 0.0;     // numeric value parsed from the entity text
    bool require_valid = false;    // only entities their label's validator accepts
    double min_entity_score = 0.0; // a matching entity scored below it: abstain (fallback_queue)
    std::string queue;
  };
  std::vector<std::pair<std::string, EntityValidator>> validators_;  // entity label -> validator
  std::string source_ = "<defaults>";
  std::string version_ = "defaults";
  std::string default_queue_ = "default";
  std::string fallback_queue_ = "fallback";
  double min_intent_confidence_ = 0.0;
  double min_intent_margin_ = 0.0;
  bool intent_is_queue_ = true;  // defaults(): queue = intent label
  std::vector<std::pair<std::string, std::string>> intent_queues_;
  std::vector<Override> overrides_;
  // defaults() only: the model's intents, recorded by validate_labels so queues() can list them
  mutable std::vector<std::string> known_intents_;
};

// The number in an entity's text for `greater_than` ("$1,200.50" -> 1200.5, "1.200,50 €" ->
// 1200.5, "€2.345" -> 2345, "12,50" -> 12.5, "$2k" -> 2000); nullopt when there is no number,
// more than one, or the grouping is malformed. Rules in docs/serving.md.
std::optional<double> parse_amount(const std::string& text);

}  // namespace triage::serve
