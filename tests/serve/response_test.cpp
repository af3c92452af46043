// Shape of the answers' JSON (docs/serving.md, docs/openapi.yaml) and the request log's masking.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "serve/redact.h"
#include "serve/response.h"

using namespace triage::serve;
using nlohmann::json;

TEST(Response, RouteShape) {
  RouteResponse r;
  r.id = "r-1";
  r.entities.push_back({"order_id", "A-123", 14, 19, 0.99312f, 1});
  IntentOut in;
  in.label = "refund";
  in.score = 0.97f;
  in.alternatives = {{"billing", 0.02f}, {"complaint", 0.005f}};
  r.intent = in;
  r.route = {"billing", "intent:refund", false};
  r.model = {"quickstart", "3f2a9c81d0b4"};
  r.timing = {0.05, 0.8, 4.1234567, 5.2};
  const auto j = json::parse(route_response_json(r));
  EXPECT_EQ(j["id"], "r-1");
  ASSERT_EQ(j["entities"].size(), 1u);
  const auto& e = j["entities"][0];
  EXPECT_EQ(e["label"], "order_id");
  EXPECT_EQ(e["text"], "A-123");
  EXPECT_EQ(e["start"], 14);
  EXPECT_EQ(e["end"], 19);
  EXPECT_EQ(e["turn"], 1);
  EXPECT_DOUBLE_EQ(e["score"].get<double>(), 0.9931);
  EXPECT_EQ(j["intent"]["label"], "refund");
  EXPECT_DOUBLE_EQ(j["intent"]["score"].get<double>(), 0.97);
  ASSERT_EQ(j["intent"]["alternatives"].size(), 2u);
  EXPECT_EQ(j["intent"]["alternatives"][0]["label"], "billing");
  EXPECT_DOUBLE_EQ(j["intent"]["alternatives"][1]["score"].get<double>(), 0.005);
  EXPECT_EQ(j["route"], json({{"queue", "billing"}, {"reason", "intent:refund"}, {"fallback", false}}));
  EXPECT_EQ(j["model"], json({{"name", "quickstart"}, {"version", "3f2a9c81d0b4"}}));
  EXPECT_EQ(j["truncated"], false);
  for (const char* k : {"tokenize", "queue", "inference", "total"}) EXPECT_TRUE(j["timing_ms"][k].is_number()) << k;
  EXPECT_DOUBLE_EQ(j["timing_ms"]["inference"].get<double>(), 4.123);
  // score text is short: rounded, not 0.99311999...
  EXPECT_NE(route_response_json(r).find("\"score\":0.9931"), std::string::npos);
}

TEST(Response, RouteWithoutIntentHead) {
  RouteResponse r;
  r.id = "x";
  r.route = {"default", "default", false};
  const auto j = json::parse(route_response_json(r));
  EXPECT_TRUE(j["intent"].is_null());
  EXPECT_TRUE(j["entities"].is_array());
  EXPECT_TRUE(j["entities"].empty());
}

TEST(Response, TagShape) {
  TagResponse r;
  r.id = "t";
  r.results.push_back({{{"email", "a@b.c", 0, 5, 0.5f, 0}}, std::nullopt});
  r.results.push_back({{}, IntentOut{"billing", 0.6f, {}}});
  r.truncated = true;
  const auto j = json::parse(tag_response_json(r));
  ASSERT_EQ(j["results"].size(), 2u);
  EXPECT_FALSE(j["results"][0]["entities"][0].contains("turn"));
  EXPECT_TRUE(j["results"][0]["intent"].is_null());
  EXPECT_EQ(j["results"][1]["intent"]["label"], "billing");
  EXPECT_EQ(j["truncated"], true);
  EXPECT_TRUE(j.contains("model"));
  EXPECT_TRUE(j.contains("timing_ms"));
}

TEST(Response, ErrorShape) {
  const auto j = json::parse(error_json(ApiError(Reason::text_too_long, "too long"), "req-1"));
  EXPECT_EQ(j, json({{"error", {{"code", 422}, {"reason", "text_too_long"}, {"message", "too long"}}}, {"id", "req-1"}}));
  // invalid UTF-8 in a message never makes the dump throw
  EXPECT_NO_THROW(error_json(ApiError(Reason::bad_json, "bad \xff byte"), "x"));
}

TEST(Response, InfoAndReload) {
  InfoResponse r;
  r.model = {"m", "v"};
  r.entity_labels = {"email"};
  r.queues = {"a", "b"};
  r.rules = 3;
  r.max_body_bytes = 1024;
  const auto j = json::parse(info_json(r));
  EXPECT_EQ(j["model"]["name"], "m");
  EXPECT_EQ(j["labels"]["entities"], json({"email"}));
  EXPECT_EQ(j["limits"]["max_body_bytes"], 1024);
  EXPECT_TRUE(j["batch"].contains("max_delay_ms"));
  EXPECT_EQ(j["routing"]["rules"], 3);
  const auto k = json::parse(reload_json({"m", "v"}, "configs/routing.yaml", 4));
  EXPECT_EQ(k["status"], "reloaded");
  EXPECT_EQ(k["routing"]["rules"], 4);
  EXPECT_EQ(json::parse(status_json("ready")), json({{"status", "ready"}}));
}

TEST(Response, LogMasksSensitiveLabels) {
  std::vector<EntityOut> es = {{"email", "jane@example.com", 0, 16, 1, 0}, {"order_id", "A-1", 20, 23, 1, 0}};
  EXPECT_EQ(entities_for_log(es, {"email", "phone"}), "email:*** order_id:A-1");
  EXPECT_EQ(entities_for_log({}, {"email"}), "");
}

// "redact": true (issue 18): the sensitive spans of one text or turn replaced by [LABEL], by
// code points (the text around them byte for byte), other labels and other turns untouched.
TEST(Redact, ReplacesSensitiveSpansByCodePoints) {
  const std::string text = "Zoë's mail: zoë@例え.jp, order A-1 😀 call +33 6 12";
  std::vector<EntityOut> es = {{"email", "zoë@例え.jp", 12, 21, 0.9f, 0},
                               {"order_id", "A-1", 29, 32, 0.8f, 0},
                               {"phone", "+33 6 12", 40, 48, 0.7f, 0},
                               {"email", "x@y.z", 0, 5, 0.9f, 1}};  // another turn
  EXPECT_EQ(redact(text, es, 0, {"email", "phone"}), "Zoë's mail: [EMAIL], order A-1 😀 call [PHONE]");
  EXPECT_EQ(redact(text, es, 0, {}), text);
  EXPECT_EQ(redact("x@y.z here", es, 1, {"email"}), "[EMAIL] here");
  std::vector<EntityOut> past = {{"email", "", 40, 99, 1, 0}};  // clamped to the text
  EXPECT_EQ(redact("short", past, 0, {"email"}), "short");

  RouteResponse r;
  r.redacted_text = "a [EMAIL]";
  auto j = json::parse(route_response_json(r));
  EXPECT_EQ(j["redacted_text"], "a [EMAIL]");
  EXPECT_FALSE(j.contains("redacted_turns"));
  r.redacted_text.reset();
  EXPECT_FALSE(json::parse(route_response_json(r)).contains("redacted_text"));
  TagResponse t;
  t.results.push_back({});
  t.results.back().redacted_text = "[PHONE]";
  EXPECT_EQ(json::parse(tag_response_json(t))["results"][0]["redacted_text"], "[PHONE]");
}

TEST(Response, RouteExplain) {
  RouteResponse r;
  r.route = {"billing", "intent:refund", false, std::nullopt};
  EXPECT_FALSE(json::parse(route_response_json(r))["route"].contains("explain"));
  RouteExplanation x;
  x.steps = {{"override:a", false, "no order_id entity"}, {"intents", true, "refund -> billing"}};
  x.intent_scores = {{"refund", 0.91234f}, {"billing", 0.05f}};
  x.model_version = "0123456789ab";
  x.rules_source = "configs/routing.yaml";
  x.rules_version = "ba9876543210";
  r.route.explain = x;
  const auto e = json::parse(route_response_json(r))["route"]["explain"];
  EXPECT_EQ(e["steps"][1], json({{"rule", "intents"}, {"matched", true}, {"why", "refund -> billing"}}));
  EXPECT_EQ(e["intent_scores"][0], json({{"label", "refund"}, {"score", 0.9123}}));
  EXPECT_EQ(e["model_version"], "0123456789ab");
  EXPECT_EQ(e["rules"], json({{"source", "configs/routing.yaml"}, {"version", "ba9876543210"}}));
}
