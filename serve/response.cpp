// JSON of the answers (the HTTP layer's edge).
#include "serve/response.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

namespace triage::serve {

// ordered_json: keys in the order docs/serving.md shows them.
using json = nlohmann::ordered_json;

double round4(double v) {
  if (!std::isfinite(v)) return 0.0;
  return std::round(v * 1e4) / 1e4;
}

namespace {

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

double round_ms(double v) { return std::round(v * 1e3) / 1e3; }

json entity_json(const EntityOut& e, bool with_turn) {
  json j = {{"label", e.label}, {"text", e.text}, {"start", e.start}, {"end", e.end}, {"score", round4(e.score)}};
  if (with_turn) j["turn"] = e.turn;
  j["valid"] = e.valid ? json(*e.valid) : json(nullptr);
  return j;
}

json entities_json(const std::vector<EntityOut>& es, bool with_turn) {
  json a = json::array();
  for (const auto& e : es) a.push_back(entity_json(e, with_turn));
  return a;
}

json intent_json(const std::optional<IntentOut>& i) {
  if (!i) return nullptr;
  json alts = json::array();
  for (const auto& [label, score] : i->alternatives) alts.push_back({{"label", label}, {"score", round4(score)}});
  return {{"label", i->label}, {"score", round4(i->score)}, {"alternatives", std::move(alts)}};
}

json route_json(const RouteOut& r) {
  json j = {{"queue", r.queue}, {"reason", r.reason}, {"fallback", r.fallback}};
  if (r.explain) {
    json steps = json::array(), scores = json::array();
    for (const auto& s : r.explain->steps) steps.push_back({{"rule", s.rule}, {"matched", s.matched}, {"why", s.why}});
    for (const auto& [label, score] : r.explain->intent_scores) scores.push_back({{"label", label}, {"score", round4(score)}});
    j["explain"] = {{"steps", std::move(steps)},
                    {"intent_scores", std::move(scores)},
                    {"model_version", r.explain->model_version},
                    {"rules", {{"source", r.explain->rules_source}, {"version", r.explain->rules_version}}}};
  }
  return j;
}

json model_json(const ModelRef& m) { return {{"name", m.name}, {"version", m.version}}; }

json timing_json(const TimingMs& t) {
  return {{"tokenize", round_ms(t.tokenize)}, {"queue", round_ms(t.queue)}, {"inference", round_ms(t.inference)},
          {"total", round_ms(t.total)}};
}

}  // namespace

std::string route_response_json(const RouteResponse& r) {
  json j = {{"id", r.id},
            {"entities", entities_json(r.entities, true)},
            {"intent", intent_json(r.intent)},
            {"route", route_json(r.route)},
            {"model", model_json(r.model)},
            {"truncated", r.truncated},
            {"timing_ms", timing_json(r.timing)}};
  if (r.redacted_text) j["redacted_text"] = *r.redacted_text;
  if (r.redacted_turns) j["redacted_turns"] = *r.redacted_turns;
  return dump(j);
}

std::string tag_response_json(const TagResponse& r) {
  json results = json::array();
  for (const auto& t : r.results) {
    results.push_back({{"entities", entities_json(t.entities, false)}, {"intent", intent_json(t.intent)}});
    if (t.redacted_text) results.back()["redacted_text"] = *t.redacted_text;
  }
  json j = {{"id", r.id},
            {"results", std::move(results)},
            {"model", model_json(r.model)},
            {"truncated", r.truncated},
            {"timing_ms", timing_json(r.timing)}};
  return dump(j);
}

std::string info_json(const InfoResponse& r) {
  json j = {{"model",
             {{"name", r.model.name},
              {"version", r.model.version},
              {"dir", r.dir},
              {"architecture", r.architecture},
              {"device", r.device},
              {"precision", r.precision},
              {"packed_weights", r.packed_weights},
              {"compute_path", r.compute_path},
              {"decode_mode", r.decode_mode},
              {"max_seq_len", r.max_seq_len},
              {"stride", r.stride}}},
            {"labels", {{"entities", r.entity_labels}, {"intents", r.intent_labels}}},
            {"limits",
             {{"max_text_chars", r.max_text_chars},
              {"max_subwords", r.max_subwords},
              {"truncate", r.truncate},
              {"max_texts", r.max_texts},
              {"max_turns", r.max_turns},
              {"max_body_bytes", r.max_body_bytes}}},
            {"batch",
             {{"max_size", r.batch_max_size},
              {"max_tokens", r.batch_max_tokens},
              {"max_delay_ms", r.batch_max_delay_ms},
              {"max_queue", r.batch_max_queue}}},
            {"routing", {{"source", r.routing_source}, {"queues", r.queues}, {"rules", r.rules}}}};
  return dump(j);
}

std::string reload_json(const ModelRef& model, const std::string& routing_source, int64_t rules) {
  return dump({{"status", "reloaded"}, {"model", model_json(model)}, {"routing", {{"source", routing_source}, {"rules", rules}}}});
}

std::string error_json(const ApiError& e, std::string_view id) {
  return dump({{"error", {{"code", e.status}, {"reason", e.reason()}, {"message", e.message}}}, {"id", id}});
}

std::string status_json(std::string_view status) { return dump({{"status", status}}); }

std::string entities_for_log(const std::vector<EntityOut>& entities, const std::vector<std::string>& sensitive) {
  std::string out;
  for (const auto& e : entities) {
    if (!out.empty()) out += ' ';
    out += e.label;
    out += ':';
    const bool masked = std::find(sensitive.begin(), sensitive.end(), e.label) != sensitive.end();
    out += masked ? std::string("***") : e.text;
  }
  return out;
}

}  // namespace triage::serve
