// Typed answers of triage-serve and their JSON (docs/serving.md, docs/openapi.yaml): the
// results the batching loop produces are turned into these structs on the HTTP thread, and
// only here into JSON. Also the request log's masked entity summary. Torch-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "serve/request.h"
#include "serve/routing.h"

namespace triage::serve {

struct EntityOut {
  std::string label;
  std::string text;   // the code-point substring [start, end) of its text or turn
  int32_t start = 0;  // code points, end exclusive
  int32_t end = 0;
  float score = 0;
  int32_t turn = 0;   // turn index; 0 for "text" (not written by /v1/tag)
  std::optional<bool> valid;  // its label's validator (routing rules) accepts it; null: no validator
};

struct IntentOut {
  std::string label;
  float score = 0;
  std::vector<std::pair<std::string, float>> alternatives;  // next (up to 3) by probability
};

// route.explain ("explain": true or routing.explain always): how the queue was chosen.
struct RouteExplanation {
  std::vector<ExplainStep> steps;  // every rule evaluated, in order, up to the deciding one
  std::vector<std::pair<std::string, float>> intent_scores;  // the intents the rules saw, best first
  std::string model_version, rules_source, rules_version;
};

struct RouteOut {
  std::string queue;
  std::string reason;
  bool fallback = false;
  std::optional<RouteExplanation> explain;
};

struct ModelRef {
  std::string name;
  std::string version;
};

struct TimingMs {
  double tokenize = 0;
  double queue = 0;
  double inference = 0;
  double total = 0;
};

struct RouteResponse {
  std::string id;
  std::vector<EntityOut> entities;
  // "redact": true: the text (a "text" request) or each turn's text (a "turns" request) with
  // the sensitive spans replaced (serve/redact.h)
  std::optional<std::string> redacted_text;
  std::optional<std::vector<std::string>> redacted_turns;
  std::optional<IntentOut> intent;  // null without an intent head
  RouteOut route;
  ModelRef model;
  bool truncated = false;
  TimingMs timing;
};

struct TagResult {
  std::vector<EntityOut> entities;
  std::optional<IntentOut> intent;
  std::optional<std::string> redacted_text;  // "redact": true
};

struct TagResponse {
  std::string id;
  std::vector<TagResult> results;  // request order
  ModelRef model;
  bool truncated = false;
  TimingMs timing;
};

struct InfoResponse {
  ModelRef model;
  std::string dir, architecture, device, precision, compute_path, decode_mode;
  bool packed_weights = false;
  int64_t max_seq_len = 0, stride = 0;
  std::vector<std::string> entity_labels, intent_labels;
  int64_t max_text_chars = 0, max_subwords = 0, max_texts = 0, max_turns = 0, max_body_bytes = 0;
  bool truncate = false;
  int64_t batch_max_size = 0, batch_max_tokens = 0, batch_max_delay_ms = 0, batch_max_queue = 0;
  std::string routing_source;
  std::vector<std::string> queues;
  int64_t rules = 0;
};

std::string route_response_json(const RouteResponse& r);
std::string tag_response_json(const TagResponse& r);
std::string info_json(const InfoResponse& r);
std::string reload_json(const ModelRef& model, const std::string& routing_source, int64_t rules);
// {"error": {"code", "reason", "message"}, "id"}
std::string error_json(const ApiError& e, std::string_view id);
std::string status_json(std::string_view status);  // {"status": "..."}

// Scores in answers: rounded to 4 decimals.
double round4(double v);

// "label:text label:*** ..." for the request log; text of sensitive labels is masked.
std::string entities_for_log(const std::vector<EntityOut>& entities, const std::vector<std::string>& sensitive);

}  // namespace triage::serve
