// Typed requests of triage-serve and the parser that builds them from a JSON body: the
// HTTP layer's only contact with request JSON. Every failure is an ApiError carrying the
// status and reason of docs/serving.md's error table (bad_json, invalid_utf8,
// missing_field, bad_field, text_too_long, too_many_texts, too_many_turns) and a message
// naming the field. Torch-free (the fuzz target links it).
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "serve/errors.h"

namespace triage::serve {

// An answer other than 200: its reason (serve/errors.h: the HTTP status and the body's
// snake_case reason string come from the table), a message a user can act on.
struct ApiError {
  Reason code = Reason::internal;
  int status = 500;  // the table's, except where the HTTP layer answered with its own
  std::string message;
  ApiError() = default;
  ApiError(Reason r, std::string m) : code(r), status(reason_info(r).status), message(std::move(m)) {}
  std::string_view reason() const { return reason_info(code).name; }  // error.reason in the body
};

class RequestError : public std::exception {
 public:
  RequestError(Reason reason, std::string message, std::optional<std::string> id = {})
      : error_(reason, std::move(message)), id_(std::move(id)) {}
  const ApiError& error() const { return error_; }
  // The request's "id" when the parser got that far (the error body echoes it).
  const std::optional<std::string>& id() const { return id_; }
  const char* what() const noexcept override { return error_.message.c_str(); }

 private:
  ApiError error_;
  std::optional<std::string> id_;
};

struct RequestLimits {
  int64_t max_text_chars = 100000;  // code points per text or turn
  int64_t max_texts = 64;           // texts per /v1/tag request
  int64_t max_turns = 256;          // turns per /v1/route request
};

inline constexpr int64_t kMaxDeadlineMs = 86400000;  // one day; larger is a bad_field
inline constexpr size_t kMaxIdChars = 128;
inline constexpr size_t kMaxSpeakerChars = 256;
inline constexpr int kMaxJsonDepth = 32;

struct TurnInput {
  std::string speaker;  // "" when absent
  std::string text;
};

// What /v1/route and /v1/tag requests share: the inference path reads these once.
struct InferenceRequest {
  std::optional<std::string> id;
  int64_t deadline_ms = 0;  // 0 = none given
  bool redact = false;      // "redact": the answer also carries the text with sensitive spans replaced
};

// POST /v1/route: exactly one of text / turns.
struct RouteRequest : InferenceRequest {
  bool explain = false;  // "explain": the answer's route also says how it was decided
  bool has_turns = false;
  std::string text;              // when !has_turns
  std::vector<TurnInput> turns;  // when has_turns; never empty
};

// POST /v1/tag.
struct TagRequest : InferenceRequest {
  std::vector<std::string> texts;  // never empty
};

// POST /admin/reload; empty fields keep the current paths.
struct ReloadRequest {
  std::string model;
  std::string routing;
};

// Throw RequestError; never anything else for any input (fuzzed).
RouteRequest parse_route_request(std::string_view body, const RequestLimits& limits);
TagRequest parse_tag_request(std::string_view body, const RequestLimits& limits);
ReloadRequest parse_reload_request(std::string_view body);  // an empty body is {}

// 1 to kMaxIdChars printable ASCII characters (ids travel in the X-Request-Id header).
bool valid_request_id(std::string_view id);

// Code points of valid UTF-8.
int64_t code_points(std::string_view utf8);

}  // namespace triage::serve
