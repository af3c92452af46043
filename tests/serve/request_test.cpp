// Request parsing and validation: every error reason the parser produces, UTF-8 checks,
// both /v1/route shapes, /v1/tag, /admin/reload, field types and limits.
#include <gtest/gtest.h>

#include "data/utf8.h"
#include "serve/request.h"

using namespace triage::serve;

namespace {

RequestLimits limits() {
  RequestLimits l;
  l.max_text_chars = 10;
  l.max_texts = 3;
  l.max_turns = 2;
  return l;
}

// Parses and returns the error (status, reason, message); fails the test if none.
ApiError route_error(std::string_view body) {
  try {
    parse_route_request(body, limits());
  } catch (const RequestError& e) {
    return e.error();
  }
  ADD_FAILURE() << "no error for " << body;
  return {};
}

ApiError tag_error(std::string_view body) {
  try {
    parse_tag_request(body, limits());
  } catch (const RequestError& e) {
    return e.error();
  }
  ADD_FAILURE() << "no error for " << body;
  return {};
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST(RouteRequest, Text) {
  auto r = parse_route_request(R"({"text": "héllo", "id": "r-1", "deadline_ms": 250})", limits());
  EXPECT_FALSE(r.has_turns);
  EXPECT_EQ(r.text, "héllo");
  ASSERT_TRUE(r.id.has_value());
  EXPECT_EQ(*r.id, "r-1");
  EXPECT_EQ(r.deadline_ms, 250);
  auto bare = parse_route_request(R"({"text": ""})", limits());
  EXPECT_FALSE(bare.id.has_value());
  EXPECT_EQ(bare.deadline_ms, 0);
}

TEST(RouteRequest, Turns) {
  auto r = parse_route_request(
      R"({"turns": [{"speaker": "customer", "text": "hi"}, {"text": "yes", "speaker": null}]})", limits());
  ASSERT_TRUE(r.has_turns);
  ASSERT_EQ(r.turns.size(), 2u);
  EXPECT_EQ(r.turns[0].speaker, "customer");
  EXPECT_EQ(r.turns[0].text, "hi");
  EXPECT_EQ(r.turns[1].speaker, "");
  EXPECT_EQ(r.turns[1].text, "yes");
}

TEST(RouteRequest, BadJson) {
  for (auto body : {"", "{", "{\"text\": }", "{\"text\": \"a\"} trailing", "nul", "{'text': 'a'}"}) {
    auto e = route_error(body);
    EXPECT_EQ(e.status, 400) << body;
    EXPECT_EQ(e.reason(), "bad_json") << body;
    EXPECT_TRUE(contains(e.message, "at byte")) << e.message;
  }
  // a number past double's range (found by request_fuzz: nlohmann throws out_of_range)
  auto big = route_error(R"({"text": "a", "deadline_ms": 1e400})");
  EXPECT_EQ(big.status, 400);
  EXPECT_EQ(big.reason(), "bad_json");
  EXPECT_TRUE(contains(big.message, "number overflow")) << big.message;
  // nesting is bounded (no deep recursion anywhere)
  std::string deep(100, '[');
  auto e = route_error(deep + std::string(100, ']'));
  EXPECT_EQ(e.reason(), "bad_json");
  EXPECT_TRUE(contains(e.message, "deeper"));
}

TEST(RouteRequest, InvalidUtf8) {
  const std::vector<std::string> bad = {
      "{\"text\": \"a\xff\"}",              // invalid byte
      "{\"text\": \"\xc0\xaf\"}",           // overlong
      "{\"text\": \"\xed\xa0\x80\"}",       // UTF-16 surrogate encoded
      "{\"text\": \"\xf4\x90\x80\x80\"}",   // past U+10FFFF
      "{\"text\": \"\xe2\x82\"}",           // truncated
      "{\"text\": \"\\ud800\"}",            // lone surrogate escape
      "{\"text\": \"\\udc00x\"}",
  };
  for (const auto& b : bad) {
    auto e = route_error(b);
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.reason(), "invalid_utf8") << e.message;
  }
  EXPECT_EQ(route_error("{\"text\": \"a\xff\"}").message, "body is not valid UTF-8 at byte 11");
  // valid 4-byte sequences and escaped pairs pass
  auto ok = parse_route_request("{\"text\": \"\xf0\x9f\x98\x80 \\ud83d\\ude00\"}", limits());
  EXPECT_EQ(ok.text, "\xf0\x9f\x98\x80 \xf0\x9f\x98\x80");
}

TEST(RouteRequest, MissingAndBadFields) {
  struct Case {
    const char* body;
    const char* reason;
    const char* mentions;
  };
  const Case cases[] = {
      {R"({})", "missing_field", "text or turns"},
      {R"({"id": "x"})", "missing_field", "text or turns"},
      {R"([1, 2])", "bad_field", "JSON object"},
      {R"("text")", "bad_field", "JSON object"},
      {R"({"text": "a", "turns": [{"text": "b"}]})", "bad_field", "not both"},
      {R"({"text": 5})", "bad_field", "text: expected a string, found an integer"},
      {R"({"text": null})", "bad_field", "text: expected a string, found null"},
      {R"({"turns": []})", "bad_field", "turns: expected at least one turn"},
      {R"({"turns": "hi"})", "bad_field", "turns: expected an array"},
      {R"({"turns": ["hi"]})", "bad_field", "turns[0]: expected an object"},
      {R"({"turns": [{"speaker": "a"}]})", "missing_field", "turns[0].text: required"},
      {R"({"turns": [{"text": "a"}, {"text": 1}]})", "bad_field", "turns[1].text"},
      {R"({"turns": [{"text": "a", "speaker": 3}]})", "bad_field", "turns[0].speaker"},
      {R"({"turns": [{"text": "a", "speaker": "x\ny"}]})", "bad_field", "line break"},
      {R"({"turns": [{"text": "a", "who": "x"}]})", "bad_field", "unknown field 'who'"},
      {R"({"txt": "a"})", "bad_field", "did you mean 'text'"},
      {R"({"text": "a", "redact": "yes"})", "bad_field", "redact: expected true or false, found a string"},
      {R"({"text": "a", "id": 7})", "bad_field", "id: expected a string"},
      {R"({"text": "a", "id": ""})", "bad_field", "id: expected 1 to 128"},
      {R"({"text": "a", "id": "a\nb"})", "bad_field", "printable ASCII"},
      {R"({"text": "a", "deadline_ms": 0})", "bad_field", "deadline_ms"},
      {R"({"text": "a", "deadline_ms": -5})", "bad_field", "deadline_ms"},
      {R"({"text": "a", "deadline_ms": 1.5})", "bad_field", "deadline_ms"},
      {R"({"text": "a", "deadline_ms": "100"})", "bad_field", "deadline_ms"},
      {R"({"text": "a", "deadline_ms": 86400001})", "bad_field", "deadline_ms"},
      {R"({"text": "a", "deadline_ms": 18446744073709551615})", "bad_field", "deadline_ms"},
  };
  for (const auto& c : cases) {
    auto e = route_error(c.body);
    EXPECT_EQ(e.status, 400) << c.body;
    EXPECT_EQ(e.reason(), c.reason) << c.body << " -> " << e.message;
    EXPECT_TRUE(contains(e.message, c.mentions)) << c.body << " -> " << e.message;
  }
}

TEST(RouteRequest, ErrorsCarryTheIdWhenKnown) {
  try {
    parse_route_request(R"({"id": "abc", "text": 1})", limits());
    FAIL();
  } catch (const RequestError& e) {
    ASSERT_TRUE(e.id().has_value());
    EXPECT_EQ(*e.id(), "abc");
  }
}

TEST(RouteRequest, Limits) {
  // 10 code points is fine, 11 is not: counted in code points, not bytes
  EXPECT_NO_THROW(parse_route_request(R"({"text": "éééééééééé"})", limits()));
  auto e = route_error(R"({"text": "ééééééééééé"})");
  EXPECT_EQ(e.status, 422);
  EXPECT_EQ(e.reason(), "text_too_long");
  EXPECT_TRUE(contains(e.message, "11 characters")) << e.message;
  EXPECT_TRUE(contains(e.message, "limit is 10")) << e.message;
  e = route_error(R"({"turns": [{"text": "a"}, {"text": "0123456789x"}]})");
  EXPECT_EQ(e.reason(), "text_too_long");
  EXPECT_TRUE(contains(e.message, "turns[1].text"));
  e = route_error(R"({"turns": [{"text": "a"}, {"text": "b"}, {"text": "c"}]})");
  EXPECT_EQ(e.status, 422);
  EXPECT_EQ(e.reason(), "too_many_turns");
  EXPECT_TRUE(contains(e.message, "3 turns, the limit is 2"));
}

TEST(TagRequest, ParsesAndValidates) {
  auto r = parse_tag_request(R"({"texts": ["a", "b c"], "id": "t", "deadline_ms": 9})", limits());
  ASSERT_EQ(r.texts.size(), 2u);
  EXPECT_EQ(r.texts[1], "b c");
  EXPECT_EQ(r.deadline_ms, 9);
  EXPECT_EQ(tag_error(R"({})").reason(), "missing_field");
  EXPECT_EQ(tag_error(R"({"texts": []})").reason(), "bad_field");
  EXPECT_EQ(tag_error(R"({"texts": "a"})").reason(), "bad_field");
  EXPECT_TRUE(contains(tag_error(R"({"texts": ["a", 2]})").message, "texts[1]"));
  EXPECT_EQ(tag_error(R"({"texts": ["a"], "text": "b"})").reason(), "bad_field");
  auto e = tag_error(R"({"texts": ["a", "b", "c", "d"]})");
  EXPECT_EQ(e.status, 422);
  EXPECT_EQ(e.reason(), "too_many_texts");
  e = tag_error(R"({"texts": ["a", "0123456789x"]})");
  EXPECT_EQ(e.reason(), "text_too_long");
  EXPECT_EQ(tag_error("{\"texts\": [\"\xff\"]}").reason(), "invalid_utf8");
  EXPECT_EQ(tag_error("{\"texts\": [").reason(), "bad_json");
}

TEST(ReloadRequest, OptionalFields) {
  auto r = parse_reload_request("");
  EXPECT_TRUE(r.model.empty());
  EXPECT_TRUE(r.routing.empty());
  r = parse_reload_request(" \n");
  EXPECT_TRUE(r.model.empty());
  r = parse_reload_request(R"({"model": "runs/x/best", "routing": "configs/routing.yaml"})");
  EXPECT_EQ(r.model, "runs/x/best");
  EXPECT_EQ(r.routing, "configs/routing.yaml");
  EXPECT_THROW(parse_reload_request(R"({"model": 1})"), RequestError);
  EXPECT_THROW(parse_reload_request(R"({"modle": "x"})"), RequestError);
  EXPECT_THROW(parse_reload_request("nope"), RequestError);
}

TEST(Utf8, FirstInvalidAndCodePoints) {
  EXPECT_EQ(triage::data::utf8::first_invalid("abc"), 3u);
  EXPECT_EQ(triage::data::utf8::first_invalid("a\x80"), 1u);
  EXPECT_EQ(triage::data::utf8::first_invalid("\xe0\x80\x80"), 0u);  // overlong 3-byte
  EXPECT_EQ(triage::data::utf8::first_invalid("\xf0\x80\x80\x80"), 0u);  // overlong 4-byte
  EXPECT_EQ(triage::data::utf8::first_invalid("\xf5\x80\x80\x80"), 0u);
  EXPECT_EQ(triage::data::utf8::first_invalid("ok\xed\x9f\xbf"), 5u);  // U+D7FF is fine
  EXPECT_EQ(triage::data::utf8::first_invalid("\xef\xbf\xbf"), 3u);  // U+FFFF
  EXPECT_EQ(triage::data::utf8::first_invalid("\xf4\x8f\xbf\xbf"), 4u);  // U+10FFFF
  EXPECT_EQ(code_points("héllo \xf0\x9f\x98\x80"), 7);
}

TEST(RequestId, Valid) {
  EXPECT_TRUE(valid_request_id("req-1"));
  EXPECT_FALSE(valid_request_id(""));
  EXPECT_FALSE(valid_request_id(std::string(129, 'a')));
  EXPECT_TRUE(valid_request_id(std::string(128, 'a')));
  EXPECT_FALSE(valid_request_id("a\r\nb"));
  EXPECT_FALSE(valid_request_id("é"));
}

TEST(Request, Redact) {
  EXPECT_FALSE(parse_route_request(R"({"text": "a"})", limits()).redact);
  EXPECT_TRUE(parse_route_request(R"({"text": "a", "redact": true})", limits()).redact);
  EXPECT_FALSE(parse_route_request(R"({"text": "a", "redact": null})", limits()).redact);
  EXPECT_TRUE(parse_tag_request(R"({"texts": ["a"], "redact": true})", limits()).redact);
  EXPECT_TRUE(contains(tag_error(R"({"texts": ["a"], "redact": 1})").message, "redact"));
  EXPECT_TRUE(parse_route_request(R"({"text": "a", "explain": true})", limits()).explain);
  EXPECT_FALSE(parse_route_request(R"({"text": "a"})", limits()).explain);
  EXPECT_TRUE(contains(route_error(R"({"text": "a", "explain": "yes"})").message, "explain: expected true or false"));
  EXPECT_TRUE(contains(tag_error(R"({"texts": ["a"], "explain": true})").message, "explain"));  // route only
}
