// Every answer triage-serve gives other than 200, in one table: per reason, the HTTP status,
// the error.reason string of the body, the label it counts under in triage_failures_total
// ("" = not a failure: a client without credentials, a server not ready or draining) and
// what it means. RequestError takes a Reason; `triage-serve --list-errors` prints the table,
// and tests/serve_http/docs_check.py checks docs/openapi.yaml against that print.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace triage::serve {

enum class Reason : uint8_t {
  bad_request,         // the HTTP layer could not parse the request (its own status: 400, 414, 431, ...)
  bad_json,
  invalid_utf8,
  missing_field,
  bad_field,
  unauthorized,
  admin_disabled,
  not_found,
  method_not_allowed,
  reload_in_progress,
  body_too_large,
  header_timeout,
  body_timeout,
  text_too_long,
  too_many_texts,
  too_many_turns,
  reload_failed,
  queue_full,
  connection_limit,
  not_ready,
  draining,
  deadline_exceeded,
  internal,
};

struct ReasonInfo {
  Reason reason;
  int status;
  std::string_view name;    // error.reason in the body, the log's reason field
  std::string_view metric;  // triage_failures_total{reason}; "" = not counted
  std::string_view meaning;
};

std::span<const ReasonInfo> error_table();
const ReasonInfo& reason_info(Reason reason);
// The failure labels triage_failures_total starts with at 0: each metric label of the table once.
std::span<const std::string_view> failure_labels();
// The table as JSON lines ({"reason", "status", "metric", "meaning"} per line).
std::string error_table_jsonl();

}  // namespace triage::serve
