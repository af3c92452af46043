// libFuzzer target for triage-serve's request parser (serve/request.h): every input is fed
// to the /v1/route, /v1/tag and /admin/reload parsers. Each must return a typed request
// that satisfies the limits, or throw RequestError with a status and reason from the
// contract's table; any other exception, crash or sanitizer report is a bug. Accepted
// texts also go through the answer JSON (serve/response.h), which must parse back to them
// (UTF-8 validation is the data layer's, data/utf8.h).
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "data/utf8.h"
#include "serve/request.h"
#include "serve/response.h"

using namespace triage::serve;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

const RequestLimits& limits() {
  static const RequestLimits l{64, 4, 4};
  return l;
}

void check_text(const std::string& s) {
  check(triage::data::utf8::first_invalid(s) == s.size());
  check(code_points(s) <= limits().max_text_chars);
}

void check_error(const RequestError& e) {
  static const std::set<std::pair<int, std::string>> allowed = {
      {400, "bad_json"},      {400, "invalid_utf8"},   {400, "missing_field"},
      {400, "bad_field"},     {422, "text_too_long"},  {422, "too_many_texts"},
      {422, "too_many_turns"},
  };
  check(allowed.count({e.error().status, std::string(e.error().reason())}) == 1);
  check(!e.error().message.empty());
  if (e.id()) check(valid_request_id(*e.id()));
  // the error body is valid JSON whatever the message holds
  const auto j = nlohmann::json::parse(error_json(e.error(), "fuzz"));
  check(j["error"]["code"] == e.error().status);
}

void check_common(const std::optional<std::string>& id, int64_t deadline_ms) {
  if (id) check(valid_request_id(*id));
  check(deadline_ms >= 0 && deadline_ms <= kMaxDeadlineMs);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  try {
    auto r = parse_route_request(body, limits());
    check_common(r.id, r.deadline_ms);
    RouteResponse resp;
    if (r.has_turns) {
      check(!r.turns.empty() && static_cast<int64_t>(r.turns.size()) <= limits().max_turns);
      for (const auto& t : r.turns) {
        check_text(t.text);
        check(triage::data::utf8::first_invalid(t.speaker) == t.speaker.size());
        check(t.speaker.find('\n') == std::string::npos);
        resp.entities.push_back({t.speaker, t.text, 0, static_cast<int32_t>(code_points(t.text)), 0.5f, 0});
      }
    } else {
      check_text(r.text);
      resp.entities.push_back({"x", r.text, 0, static_cast<int32_t>(code_points(r.text)), 0.5f, 0});
    }
    resp.id = r.id.value_or("");
    const auto j = nlohmann::json::parse(route_response_json(resp));
    for (size_t i = 0; i < resp.entities.size(); ++i) check(j["entities"][i]["text"] == resp.entities[i].text);
  } catch (const RequestError& e) {
    check_error(e);
  }
  try {
    auto r = parse_tag_request(body, limits());
    check_common(r.id, r.deadline_ms);
    check(!r.texts.empty() && static_cast<int64_t>(r.texts.size()) <= limits().max_texts);
    for (const auto& t : r.texts) check_text(t);
  } catch (const RequestError& e) {
    check_error(e);
  }
  try {
    auto r = parse_reload_request(body);
    check(triage::data::utf8::first_invalid(r.model) == r.model.size());
    check(triage::data::utf8::first_invalid(r.routing) == r.routing.size());
  } catch (const RequestError& e) {
    check_error(e);
  }
  return 0;
}
