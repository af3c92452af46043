// The serve error table (see errors.h).
#include "serve/errors.h"

#include <algorithm>
#include <array>
#include <vector>

#include <nlohmann/json.hpp>

namespace triage::serve {

namespace {

constexpr std::array<ReasonInfo, 23> kTable{{
    {Reason::bad_request, 400, "bad_request", "bad_request", "the HTTP request itself is malformed (answered by the HTTP layer with its own status)"},
    {Reason::bad_json, 400, "bad_json", "bad_request", "the body is not JSON"},
    {Reason::invalid_utf8, 400, "invalid_utf8", "bad_request", "a string is not valid UTF-8"},
    {Reason::missing_field, 400, "missing_field", "bad_request", "a required field is absent"},
    {Reason::bad_field, 400, "bad_field", "bad_request", "a field has the wrong type or value, or is unknown"},
    {Reason::unauthorized, 401, "unauthorized", "", "missing or wrong admin token"},
    {Reason::admin_disabled, 403, "admin_disabled", "", "no admin token configured: /admin/reload is off"},
    {Reason::not_found, 404, "not_found", "bad_request", "no endpoint at this path"},
    {Reason::method_not_allowed, 405, "method_not_allowed", "bad_request", "the endpoint takes another method"},
    {Reason::reload_in_progress, 409, "reload_in_progress", "", "another reload is running"},
    {Reason::body_too_large, 413, "body_too_large", "bad_request", "the body is larger than http.max_body_bytes (a Content-Length over it: before the body is read)"},
    {Reason::header_timeout, 408, "header_timeout", "slow_client", "the request head did not arrive within http.header_timeout_s; the connection is closed"},
    {Reason::body_timeout, 408, "body_timeout", "slow_client", "the body did not arrive within http.body_timeout_s (shorter than its Content-Length); the connection is closed"},
    {Reason::text_too_long, 422, "text_too_long", "bad_request", "a text or turn, or the request's sub-words, exceed a limit"},
    {Reason::too_many_texts, 422, "too_many_texts", "bad_request", "more texts than limits.max_texts"},
    {Reason::too_many_turns, 422, "too_many_turns", "bad_request", "more turns than limits.max_turns"},
    {Reason::reload_failed, 422, "reload_failed", "reload", "the new model or rules did not load; the previous model keeps serving"},
    {Reason::queue_full, 429, "queue_full", "queue_full", "batch.max_queue requests are queued (with Retry-After)"},
    {Reason::connection_limit, 503, "connection_limit", "connection_limit", "http.max_connections connections are open; this one is answered and closed"},
    {Reason::not_ready, 503, "not_ready", "", "the model is still loading"},
    {Reason::draining, 503, "draining", "", "the server is shutting down"},
    {Reason::deadline_exceeded, 504, "deadline_exceeded", "deadline", "the deadline passed while the request was queued"},
    {Reason::internal, 500, "internal", "internal", "an internal error, logged with the request id"},
}};

constexpr bool table_in_enum_order() {
  for (size_t i = 0; i < kTable.size(); ++i)
    if (static_cast<size_t>(kTable[i].reason) != i) return false;
  return true;
}
static_assert(table_in_enum_order(), "kTable must list every Reason in the enum's order");


}  // namespace

std::span<const ReasonInfo> error_table() { return kTable; }

const ReasonInfo& reason_info(Reason reason) { return kTable[static_cast<size_t>(reason)]; }

std::span<const std::string_view> failure_labels() {
  static const std::vector<std::string_view> labels = [] {
    std::vector<std::string_view> out;
    for (const auto& r : kTable)
      if (!r.metric.empty() && std::find(out.begin(), out.end(), r.metric) == out.end()) out.push_back(r.metric);
    return out;
  }();
  return labels;
}

std::string error_table_jsonl() {
  std::string out;
  for (const auto& r : kTable)
    out += nlohmann::json{{"reason", r.name}, {"status", r.status}, {"metric", r.metric}, {"meaning", r.meaning}}.dump() +
           "\n";
  return out;
}

}  // namespace triage::serve
