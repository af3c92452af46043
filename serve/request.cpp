// JSON bodies to typed requests, with the contract's error reasons.
#include "serve/request.h"

#include <nlohmann/json.hpp>

#include "core/nearest.h"
#include "data/utf8.h"

namespace triage::serve {

using nlohmann::json;

int64_t code_points(std::string_view s) {
  int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdChars) return false;
  for (unsigned char c : id)
    if (c < 0x20 || c > 0x7E) return false;
  return true;
}

namespace {

struct DepthExceeded {};

const char* type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number with a fraction";
    default: return "a value of an unknown type";
  }
}

[[noreturn]] void bad_field(const std::string& field, const std::string& what, const std::optional<std::string>& id) {
  throw RequestError(Reason::bad_field, field + ": " + what, id);
}

// Parses the body as one JSON object (depth-limited, UTF-8 checked first).
json parse_object(std::string_view body) {
  const size_t bad = data::utf8::first_invalid(body);
  if (bad != body.size())
    throw RequestError(Reason::invalid_utf8, "body is not valid UTF-8 at byte " + std::to_string(bad));
  json j;
  try {
    j = json::parse(body.begin(), body.end(), [](int depth, json::parse_event_t, json&) {
      if (depth > kMaxJsonDepth) throw DepthExceeded{};
      return true;
    });
  } catch (const DepthExceeded&) {
    throw RequestError(Reason::bad_json, "body nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  } catch (const json::parse_error& e) {
    const std::string what = e.what();
    // Escapes such as "\ud800" decode to a lone surrogate: not UTF-8 either.
    const bool utf = what.find("surrogate") != std::string::npos || what.find("UTF-8") != std::string::npos;
    std::string detail = what;
    const auto dash = what.find(" - ");
    if (dash != std::string::npos) detail = what.substr(dash + 3);
    const auto last = detail.find("; last read");
    if (last != std::string::npos) detail.resize(last);
    throw RequestError(utf ? Reason::invalid_utf8 : Reason::bad_json,
                       std::string(utf ? "a string is not valid UTF-8" : "body is not JSON") + " at byte " +
                           std::to_string(e.byte) + ": " + detail);
  } catch (const json::exception& e) {
    // out_of_range.406: a number past double's range ("1e400"); found by request_fuzz
    throw RequestError(Reason::bad_json, std::string("body is not JSON: ") + e.what());
  }
  if (!j.is_object()) throw RequestError(Reason::bad_field, std::string("body: expected a JSON object, found ") + type_name(j));
  return j;
}

void reject_unknown(const json& j, std::initializer_list<const char*> known, const std::optional<std::string>& id) {
  for (const auto& [key, value] : j.items()) {
    bool ok = false;
    for (const char* k : known) ok = ok || key == k;
    if (ok) continue;
    const std::vector<std::string> names(known.begin(), known.end());
    std::string list;
    for (const auto& k : names) list += (list.empty() ? "" : ", ") + k;
    const NearestName near = nearest_name(key, names);
    std::string msg = "unknown field '" + key + "' (fields: " + list + ")";
    if (near.distance <= 3) msg += "; did you mean '" + near.name + "'?";
    throw RequestError(Reason::bad_field, msg, id);
  }
}

std::optional<std::string> take_id(json& j) {
  auto it = j.find("id");
  if (it == j.end()) return std::nullopt;
  if (!it->is_string()) bad_field("id", std::string("expected a string, found ") + type_name(*it), std::nullopt);
  auto& s = it->get_ref<std::string&>();
  if (!valid_request_id(s))
    bad_field("id", "expected 1 to " + std::to_string(kMaxIdChars) + " printable ASCII characters", std::nullopt);
  return std::move(s);
}

int64_t take_deadline(const json& j, const std::optional<std::string>& id) {
  auto it = j.find("deadline_ms");
  if (it == j.end()) return 0;
  const char* expected = "expected a positive integer (milliseconds) up to 86400000, found ";
  if (it->is_number_unsigned()) {
    const auto v = it->get<uint64_t>();
    if (v == 0 || v > static_cast<uint64_t>(kMaxDeadlineMs)) bad_field("deadline_ms", expected + std::to_string(v), id);
    return static_cast<int64_t>(v);
  }
  if (it->is_number_integer()) bad_field("deadline_ms", expected + std::to_string(it->get<int64_t>()), id);
  bad_field("deadline_ms", std::string(expected) + type_name(*it), id);
}

void check_text_length(const std::string& field, const std::string& text, const RequestLimits& limits,
                       const std::optional<std::string>& id) {
  if (static_cast<int64_t>(text.size()) <= limits.max_text_chars) return;  // bytes >= code points
  const int64_t n = code_points(text);
  if (n > limits.max_text_chars)
    throw RequestError(Reason::text_too_long, field + ": " + std::to_string(n) + " characters (code points), the limit is " +
                           std::to_string(limits.max_text_chars) + " (limits.max_text_chars)",
                       id);
}

// An optional boolean field (absent or null: false).
bool take_flag(const json& j, const char* key, const std::optional<std::string>& id) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return false;
  if (!it->is_boolean()) bad_field(key, std::string("expected true or false, found ") + type_name(*it), id);
  return it->get<bool>();
}

std::string take_string(json& v, const std::string& field, const std::optional<std::string>& id) {
  if (!v.is_string()) bad_field(field, std::string("expected a string, found ") + type_name(v), id);
  return std::move(v.get_ref<std::string&>());
}

}  // namespace

RouteRequest parse_route_request(std::string_view body, const RequestLimits& limits) {
  json j = parse_object(body);
  RouteRequest r;
  r.id = take_id(j);
  reject_unknown(j, {"text", "turns", "id", "deadline_ms", "redact", "explain"}, r.id);
  r.deadline_ms = take_deadline(j, r.id);
  r.redact = take_flag(j, "redact", r.id);
  r.explain = take_flag(j, "explain", r.id);
  auto text = j.find("text");
  auto turns = j.find("turns");
  if (text == j.end() && turns == j.end())
    throw RequestError(Reason::missing_field, "text or turns: required (exactly one of them)", r.id);
  if (text != j.end() && turns != j.end()) bad_field("text, turns", "give exactly one of them, not both", r.id);
  if (text != j.end()) {
    r.text = take_string(*text, "text", r.id);
    check_text_length("text", r.text, limits, r.id);
    return r;
  }
  r.has_turns = true;
  if (!turns->is_array()) bad_field("turns", std::string("expected an array of turns, found ") + type_name(*turns), r.id);
  if (turns->empty()) bad_field("turns", "expected at least one turn, found an empty array", r.id);
  if (static_cast<int64_t>(turns->size()) > limits.max_turns)
    throw RequestError(Reason::too_many_turns, "turns: " + std::to_string(turns->size()) + " turns, the limit is " +
                           std::to_string(limits.max_turns) + " (limits.max_turns)",
                       r.id);
  r.turns.reserve(turns->size());
  for (size_t i = 0; i < turns->size(); ++i) {
    auto& t = (*turns)[i];
    const std::string field = "turns[" + std::to_string(i) + "]";
    if (!t.is_object()) bad_field(field, std::string("expected an object {\"speaker\", \"text\"}, found ") + type_name(t), r.id);
    for (const auto& [key, value] : t.items())
      if (key != "speaker" && key != "text") bad_field(field, "unknown field '" + key + "' (fields: speaker, text)", r.id);
    TurnInput turn;
    auto tt = t.find("text");
    if (tt == t.end()) throw RequestError(Reason::missing_field, field + ".text: required", r.id);
    turn.text = take_string(*tt, field + ".text", r.id);
    check_text_length(field + ".text", turn.text, limits, r.id);
    auto sp = t.find("speaker");
    if (sp != t.end() && !sp->is_null()) {
      turn.speaker = take_string(*sp, field + ".speaker", r.id);
      if (turn.speaker.find_first_of("\r\n") != std::string::npos)
        bad_field(field + ".speaker", "must not contain a line break", r.id);
      if (code_points(turn.speaker) > static_cast<int64_t>(kMaxSpeakerChars))
        bad_field(field + ".speaker", "expected at most " + std::to_string(kMaxSpeakerChars) + " characters", r.id);
    }
    r.turns.push_back(std::move(turn));
  }
  return r;
}

TagRequest parse_tag_request(std::string_view body, const RequestLimits& limits) {
  json j = parse_object(body);
  TagRequest r;
  r.id = take_id(j);
  reject_unknown(j, {"texts", "id", "deadline_ms", "redact"}, r.id);
  r.deadline_ms = take_deadline(j, r.id);
  r.redact = take_flag(j, "redact", r.id);
  auto texts = j.find("texts");
  if (texts == j.end()) throw RequestError(Reason::missing_field, "texts: required (an array of strings)", r.id);
  if (!texts->is_array()) bad_field("texts", std::string("expected an array of strings, found ") + type_name(*texts), r.id);
  if (texts->empty()) bad_field("texts", "expected at least one text, found an empty array", r.id);
  if (static_cast<int64_t>(texts->size()) > limits.max_texts)
    throw RequestError(Reason::too_many_texts, "texts: " + std::to_string(texts->size()) + " texts, the limit is " +
                           std::to_string(limits.max_texts) + " (limits.max_texts)",
                       r.id);
  r.texts.reserve(texts->size());
  for (size_t i = 0; i < texts->size(); ++i) {
    const std::string field = "texts[" + std::to_string(i) + "]";
    r.texts.push_back(take_string((*texts)[i], field, r.id));
    check_text_length(field, r.texts.back(), limits, r.id);
  }
  return r;
}

ReloadRequest parse_reload_request(std::string_view body) {
  bool blank = true;
  for (char c : body) blank = blank && (c == ' ' || c == '\t' || c == '\r' || c == '\n');
  ReloadRequest r;
  if (blank) return r;
  json j = parse_object(body);
  reject_unknown(j, {"model", "routing"}, std::nullopt);
  if (auto it = j.find("model"); it != j.end() && !it->is_null()) r.model = take_string(*it, "model", std::nullopt);
  if (auto it = j.find("routing"); it != j.end() && !it->is_null()) r.routing = take_string(*it, "routing", std::nullopt);
  return r;
}

}  // namespace triage::serve
