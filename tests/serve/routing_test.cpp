// Routing rules: YAML loading and its errors (file:line, rule, expected/found, nearest key or
// label), evaluation order, amount parsing, and the shipped configs/routing.yaml.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "serve/routing.h"
#include "tests/common/test_util.h"

namespace triage::serve {
namespace {

using triage::testing::error_of;

const std::vector<std::string> kEntities = {"account_id", "amount", "date", "email", "error_code",
                                            "order_id", "person_name", "phone", "product"};
const std::vector<std::string> kIntents = {"cancellation", "shipping", "billing", "account_access",
                                           "general_question", "refund", "technical_issue", "complaint"};

const char* kContractYaml = R"(default_queue: general
fallback_queue: human_review
min_intent_confidence: 0.5
intents:
  refund: billing
  billing: billing
  technical_issue: tech_support
overrides:
  - name: outage_codes
    entity: error_code
    queue: tech_escalation
  - name: large_amount
    entity: amount
    greater_than: 500
    queue: billing_escalation
  - name: refund_with_order
    intent: refund
    entity: order_id
    queue: refunds_fast_lane
)";

RouteInput input(const std::string& intent, float score, std::vector<RoutedEntity> entities = {}) {
  RouteInput in;
  in.has_intent = !intent.empty();
  in.intent = intent;
  in.intent_score = score;
  in.entities = std::move(entities);
  return in;
}

// The message of the InputError that loading `yaml` throws ("" when it loads).
std::string load_error(const std::string& yaml) {
  try {
    RoutingRules::load_string(yaml, "rules.yaml");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

#define EXPECT_HAS(haystack, needle) EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << (haystack)

TEST(Routing, ContractExampleEvaluationOrder) {
  const auto r = RoutingRules::load_string(kContractYaml, "contract");
  EXPECT_EQ(r.rule_count(), 6u);
  EXPECT_EQ(r.source(), "contract");
  // 1. overrides in file order, before the confidence check
  auto d = r.route(input("billing", 0.1f, {{"error_code", "E-42", 0.9f}, {"amount", "$900", 0.9f}}));
  EXPECT_EQ(d.queue, "tech_escalation");
  EXPECT_EQ(d.reason, "override:outage_codes");
  EXPECT_FALSE(d.fallback);
  d = r.route(input("billing", 0.9f, {{"amount", "$1,200.50", 0.9f}}));
  EXPECT_EQ(d.queue, "billing_escalation");
  EXPECT_EQ(d.reason, "override:large_amount");
  d = r.route(input("billing", 0.9f, {{"amount", "$12.50", 0.9f}}));  // under the threshold
  EXPECT_EQ(d.reason, "intent:billing");
  d = r.route(input("billing", 0.9f, {{"amount", "a lot", 0.9f}}));  // unparseable: no match
  EXPECT_EQ(d.reason, "intent:billing");
  // any entity of the label may carry the number
  d = r.route(input("billing", 0.9f, {{"amount", "$5", 0.9f}, {"amount", "700 EUR", 0.9f}}));
  EXPECT_EQ(d.reason, "override:large_amount");
  // intent + entity: both needed
  d = r.route(input("refund", 0.9f, {{"order_id", "A-1", 0.9f}}));
  EXPECT_EQ(d.queue, "refunds_fast_lane");
  d = r.route(input("billing", 0.9f, {{"order_id", "A-1", 0.9f}}));
  EXPECT_EQ(d.reason, "intent:billing");
  d = r.route(input("refund", 0.9f));
  EXPECT_EQ(d.queue, "billing");
  EXPECT_EQ(d.reason, "intent:refund");
  // 2. low confidence
  d = r.route(input("refund", 0.42f));
  EXPECT_EQ(d.queue, "human_review");
  EXPECT_EQ(d.reason, "low_confidence:0.42 < 0.5");
  EXPECT_TRUE(d.fallback);
  d = r.route(input("refund", 0.5f));  // at the minimum is not below it
  EXPECT_EQ(d.reason, "intent:refund");
  // 3./4. intent map, then default
  d = r.route(input("shipping", 0.9f));
  EXPECT_EQ(d.queue, "general");
  EXPECT_EQ(d.reason, "default");
  EXPECT_FALSE(d.fallback);
  // no intent head: overrides on entities still apply, no confidence check, default
  d = r.route(input("", 0.f));
  EXPECT_EQ(d.queue, "general");
  EXPECT_EQ(d.reason, "default");
  EXPECT_FALSE(d.fallback);
  d = r.route(input("", 0.f, {{"error_code", "E-1", 0.5f}}));
  EXPECT_EQ(d.queue, "tech_escalation");
  d = r.route(input("", 0.f, {{"order_id", "A-1", 0.5f}}));  // the rule needs intent refund
  EXPECT_EQ(d.reason, "default");
  EXPECT_EQ(r.queues(), (std::vector<std::string>{"billing", "billing_escalation", "general", "human_review",
                                                  "refunds_fast_lane", "tech_escalation", "tech_support"}));
  EXPECT_NO_THROW(r.validate_labels(kEntities, kIntents));
}

TEST(Routing, Defaults) {
  const auto r = RoutingRules::defaults();
  EXPECT_EQ(r.rule_count(), 0u);
  auto d = r.route(input("refund", 0.01f, {{"error_code", "E", 1.f}}));
  EXPECT_EQ(d.queue, "refund");
  EXPECT_EQ(d.reason, "intent:refund");
  EXPECT_FALSE(d.fallback);
  d = r.route(input("", 0.f));
  EXPECT_EQ(d.queue, "default");
  EXPECT_EQ(d.reason, "default");
  EXPECT_EQ(r.queues(), (std::vector<std::string>{"default"}));
  r.validate_labels(kEntities, {"b", "a"});
  EXPECT_EQ(r.queues(), (std::vector<std::string>{"a", "b", "default"}));
}

TEST(Routing, OptionalKeys) {
  // no confidence minimum: no fallback queue needed, and none listed
  const auto r = RoutingRules::load_string("default_queue: q\n", "x");
  EXPECT_EQ(r.route(input("refund", 0.0f)).queue, "q");
  EXPECT_EQ(r.queues(), (std::vector<std::string>{"q"}));
  EXPECT_EQ(r.rule_count(), 0u);
  // empty lists and maps are allowed
  EXPECT_EQ(load_error("default_queue: q\nintents: {}\noverrides: []\n"), "");
  EXPECT_EQ(load_error("default_queue: q\nintents:\noverrides:\n"), "");
  // intent-only override
  const auto r2 = RoutingRules::load_string(
      "default_queue: q\noverrides:\n  - name: c\n    intent: complaint\n    queue: care\n", "x");
  EXPECT_EQ(r2.route(input("complaint", 0.1f)).reason, "override:c");
}

TEST(Routing, Errors) {
  // unknown keys name the nearest valid key, with file:line
  auto e = load_error("default_queue: q\nfallback_qeue: f\n");
  EXPECT_HAS(e, "rules.yaml:2:");
  EXPECT_HAS(e, "unknown key 'fallback_qeue'");
  EXPECT_HAS(e, "did you mean 'fallback_queue'");
  e = load_error("default_queue: q\noverrides:\n  - name: big\n    entity: amount\n    greater_then: 5\n    queue: x\n");
  EXPECT_HAS(e, "rules.yaml:5:");
  EXPECT_HAS(e, "overrides[0] (big)");
  EXPECT_HAS(e, "did you mean 'greater_than'");
  // required keys
  EXPECT_HAS(load_error("intents: {}\n"), "missing key 'default_queue'");
  EXPECT_HAS(load_error("default_queue: q\nmin_intent_confidence: 0.5\n"), "missing key 'fallback_queue'");
  // empty / non-string queue names
  e = load_error("default_queue: ''\n");
  EXPECT_HAS(e, "rules.yaml:1:");
  EXPECT_HAS(e, "expected a queue name");
  EXPECT_HAS(e, "found ''");
  e = load_error("default_queue: q\nintents:\n  refund:\n");
  EXPECT_HAS(e, "rules.yaml:3:");
  EXPECT_HAS(e, "intents.refund");
  e = load_error("default_queue: q\noverrides:\n  - name: a\n    entity: amount\n    queue: ''\n");
  EXPECT_HAS(e, "rules.yaml:5:");
  EXPECT_HAS(e, "overrides[0] (a)");
  EXPECT_HAS(e, "queue");
  EXPECT_HAS(load_error("default_queue: [a, b]\n"), "found a list");
  e = load_error("default_queue: q\noverrides:\n  - name: a\n    entity:\n    queue: x\n");
  EXPECT_HAS(e, "rules.yaml:4:");
  EXPECT_HAS(e, "expected an entity label");
  EXPECT_HAS(e, "found nothing (null)");
  // duplicate rule names, duplicate intents
  e = load_error(
      "default_queue: q\noverrides:\n  - name: a\n    entity: amount\n    queue: x\n  - name: a\n    entity: date\n    queue: y\n");
  EXPECT_HAS(e, "rules.yaml:6:");
  EXPECT_HAS(e, "overrides[1] (a)");
  EXPECT_HAS(e, "duplicate rule name 'a'");
  EXPECT_HAS(load_error("default_queue: q\nintents:\n  refund: a\n  refund: b\n"), "appears twice");
  // greater_than without entity; non-numeric threshold
  e = load_error("default_queue: q\noverrides:\n  - name: g\n    intent: refund\n    greater_than: 5\n    queue: x\n");
  EXPECT_HAS(e, "rules.yaml:5:");
  EXPECT_HAS(e, "overrides[0] (g)");
  EXPECT_HAS(e, "greater_than needs 'entity'");
  e = load_error("default_queue: q\noverrides:\n  - name: g\n    entity: amount\n    greater_than: lots\n    queue: x\n");
  EXPECT_HAS(e, "rules.yaml:5:");
  EXPECT_HAS(e, "expected a number");
  EXPECT_HAS(e, "found 'lots'");
  EXPECT_HAS(load_error("default_queue: q\noverrides:\n  - name: g\n    entity: amount\n    greater_than: .nan\n    queue: x\n"),
             "finite");
  // neither entity nor intent
  e = load_error("default_queue: q\noverrides:\n  - name: n\n    queue: x\n");
  EXPECT_HAS(e, "rules.yaml:3:");
  EXPECT_HAS(e, "overrides[0] (n)");
  EXPECT_HAS(e, "found neither");
  // missing name / queue, wrong shapes
  EXPECT_HAS(load_error("default_queue: q\noverrides:\n  - entity: amount\n    queue: x\n"), "overrides[0]: missing key 'name'");
  EXPECT_HAS(load_error("default_queue: q\noverrides:\n  - name: a\n    entity: amount\n"), "missing key 'queue'");
  EXPECT_HAS(load_error("default_queue: q\noverrides: {a: b}\n"), "expected a list of rules");
  EXPECT_HAS(load_error("default_queue: q\noverrides:\n  - just_a_string\n"), "expected a rule");
  EXPECT_HAS(load_error("default_queue: q\nintents: [a]\n"), "expected a mapping intent label -> queue");
  // confidence: numeric, within [0, 1]
  EXPECT_HAS(load_error("default_queue: q\nfallback_queue: f\nmin_intent_confidence: high\n"), "expected a number between 0 and 1");
  EXPECT_HAS(load_error("default_queue: q\nfallback_queue: f\nmin_intent_confidence: 1.5\n"), "found '1.5'");
  // not YAML / not a mapping
  e = load_error("default_queue: q\n  bad: [\n");
  EXPECT_HAS(e, "rules.yaml:");
  EXPECT_HAS(e, "invalid YAML");
  EXPECT_HAS(load_error(""), "expected a mapping");
  EXPECT_HAS(load_error("- a\n- b\n"), "expected a mapping");
  // files
  try {
    RoutingRules::load_file("/nonexistent/routing.yaml");
    FAIL() << "no error";
  } catch (const InputError& x) {
    EXPECT_HAS(x.what(), "/nonexistent/routing.yaml: cannot open");
  }
}

TEST(Routing, ValidateLabels) {
  std::string e;
  const auto r = RoutingRules::load_string(kContractYaml, "contract.yaml");
  // tagged labels (B-x / I-x) are accepted as entity types
  EXPECT_NO_THROW(r.validate_labels({"O", "B-error_code", "I-error_code", "B-amount", "B-order_id"}, kIntents));
  e = error_of([&] { r.validate_labels({"amount", "order_id", "error_codes"}, kIntents); });
    EXPECT_HAS(e, "contract.yaml");
    EXPECT_HAS(e, "overrides[0] (outage_codes)");
    EXPECT_HAS(e, "unknown entity label 'error_code'");
    EXPECT_HAS(e, "did you mean 'error_codes'");
  e = error_of([&] { r.validate_labels(kEntities, {"refunds", "billing", "technical_issue"}); });
    EXPECT_HAS(e, "overrides[2] (refund_with_order)");
    EXPECT_HAS(e, "unknown intent 'refund'");
    EXPECT_HAS(e, "did you mean 'refunds'");
  e = error_of([&] { r.validate_labels(kEntities, {"refund", "billing", "tech_issue"}); });
    EXPECT_HAS(e, "intents.technical_issue");
    EXPECT_HAS(e, "did you mean 'tech_issue'");
  e = error_of([&] { r.validate_labels(kEntities, {}); });
    EXPECT_HAS(e, "no intent head");
  // entity-only rules are fine with a model without intents
  const auto e_only = RoutingRules::load_string(
      "default_queue: q\noverrides:\n  - name: o\n    entity: order_id\n    queue: x\n", "x");
  EXPECT_NO_THROW(e_only.validate_labels(kEntities, {}));
}

TEST(Routing, ParseAmount) {
  const auto eq = [](const std::string& text, double want) {
    const auto v = parse_amount(text);
    ASSERT_TRUE(v.has_value()) << text;
    EXPECT_DOUBLE_EQ(*v, want) << text;
  };
  // the sample corpus formats (data/generate/entities.cpp make_amount)
  eq("$1,200.50", 1200.5);
  eq("$45", 45);
  eq("2,999.99 USD", 2999.99);
  eq("1,500 EUR", 1500);
  eq("€1,200.50", 1200.5);
  eq("£75.10", 75.1);
  eq("1.200,50 €", 1200.5);
  eq("€2.345", 2345);
  eq("€45,50", 45.5);
  eq("CHF 1,234.00", 1234);
  eq("300 dollars", 300);
  eq("$99.", 99);  // a sentence's full stop
  // other common shapes
  eq("1200.5", 1200.5);
  eq("1 200,50 €", 1200.5);     // space grouping
  eq("1\xC2\xA0" "200 €", 1200);  // no-break space grouping
  eq("1'234.50 CHF", 1234.5);   // Swiss grouping
  eq("1,234,567", 1234567);
  eq("1.234.567", 1234567);
  eq("0.500", 0.5);  // a leading zero group is a decimal, not grouping
  eq("12,50", 12.5);
  eq("1200USD", 1200);
  eq("$2k", 2000);
  eq("2.5K", 2500);
  eq("-$40", -40);
  eq("$-40", -40);
  // unparseable: no number, two numbers, malformed grouping
  EXPECT_FALSE(parse_amount("a lot").has_value());
  EXPECT_FALSE(parse_amount("").has_value());
  EXPECT_FALSE(parse_amount("$").has_value());
  EXPECT_FALSE(parse_amount("2 x $30").has_value());
  EXPECT_FALSE(parse_amount("$10 - $20").has_value());
  EXPECT_FALSE(parse_amount("1,23,456").has_value());
  EXPECT_FALSE(parse_amount("12,3456,789").has_value());
  EXPECT_FALSE(parse_amount("1.200.50").has_value());
  EXPECT_FALSE(parse_amount("1,200 300").has_value());
}

TEST(Routing, ShippedConfig) {
  const auto path = std::string(TRIAGE_SOURCE_DIR) + "/configs/routing.yaml";
  const auto r = RoutingRules::load_file(path);
  EXPECT_EQ(r.source(), path);
  EXPECT_NO_THROW(r.validate_labels(kEntities, kIntents));
  EXPECT_GT(r.rule_count(), 0u);
  for (const auto& intent : kIntents) {
    const auto d = r.route(input(intent, 0.99f));
    EXPECT_FALSE(d.queue.empty()) << intent;
    EXPECT_FALSE(d.fallback) << intent;
  }
  EXPECT_TRUE(r.route(input("refund", 0.05f)).fallback);
}

}  // namespace
}  // namespace triage::serve

namespace triage::serve {
namespace {

// Entity validators (issue 18): the checksums and the amount check on known good and bad
// values; `validators:` in the YAML, `require_valid` overrides matching only valid entities,
// and every misconfiguration refused naming the file, line and key.
TEST(Validators, ChecksumsAndAmounts) {
  EXPECT_TRUE(luhn_valid("4111 1111 1111 1111"));
  EXPECT_TRUE(luhn_valid("5500-0000-0000-0004"));
  EXPECT_FALSE(luhn_valid("4111 1111 1111 1112"));  // one digit off
  EXPECT_FALSE(luhn_valid("4111"));                 // too short
  EXPECT_FALSE(luhn_valid("4111 1111 1111 111a"));
  EXPECT_TRUE(iban_valid("GB82 WEST 1234 5698 7654 32"));
  EXPECT_TRUE(iban_valid("de89370400440532013000"));
  EXPECT_FALSE(iban_valid("GB82 WEST 1234 5698 7654 33"));
  EXPECT_FALSE(iban_valid("GB82"));
  EXPECT_TRUE(amount_valid("$1,200.50", true));
  EXPECT_TRUE(amount_valid("40 EUR", true));
  EXPECT_TRUE(amount_valid("1.200,50 \xE2\x82\xAC", true));
  EXPECT_FALSE(amount_valid("1200", true));
  EXPECT_TRUE(amount_valid("1200", false));
  EXPECT_FALSE(amount_valid("a lot", false));
  EXPECT_FALSE(amount_valid("40 euros", true));  // a word, not a code
}

const char* kValidatedYaml = R"(default_queue: general
overrides:
  - name: known_order
    entity: order_id
    require_valid: true
    queue: orders
  - name: card
    entity: account_id
    require_valid: true
    queue: payments
validators:
  order_id:
    regex: "[A-Z]{2}-\\d{5}"
  account_id:
    checksum: luhn
  amount:
    amount: true
    currency: true
)";

TEST(Validators, RequireValidOverridesAndValidate) {
  auto r = RoutingRules::load_string(kValidatedYaml, "v.yaml");
  r.validate_labels(kEntities, kIntents);
  EXPECT_EQ(r.validate("order_id", "AB-12345"), std::optional<bool>(true));
  EXPECT_EQ(r.validate("order_id", "AB-12345x"), std::optional<bool>(false));  // the whole text must match
  EXPECT_EQ(r.validate("order_id", "xAB-12345"), std::optional<bool>(false));
  EXPECT_EQ(r.validate("amount", "$40"), std::optional<bool>(true));
  EXPECT_EQ(r.validate("product", "anything"), std::nullopt);
  RouteInput in;
  in.entities = {{"order_id", "order 12", 0.9f}};
  EXPECT_EQ(r.route(in).reason, "default") << "an invalid order id never triggers the override";
  in.entities.push_back({"order_id", "AB-12345", 0.9f});
  EXPECT_EQ(r.route(in).reason, "override:known_order");
  in.entities = {{"account_id", "4111 1111 1111 1112", 0.9f}};
  EXPECT_EQ(r.route(in).queue, "general");
  in.entities = {{"account_id", "4111 1111 1111 1111", 0.9f}};
  EXPECT_EQ(r.route(in).queue, "payments");
}

TEST(Validators, ErrorsNameFileLineAndKey) {
  const auto err = [](const std::string& yaml) { return error_of([&] { RoutingRules::load_string(yaml, "v.yaml"); }); };
  auto m = err("default_queue: g\nvalidators:\n  order_id:\n    regex: \"[A-Z\"\n");
  EXPECT_NE(m.find("v.yaml:4: validators.order_id: regex"), std::string::npos) << m;
  EXPECT_NE(m.find("invalid regular expression"), std::string::npos) << m;
  m = err("default_queue: g\nvalidators:\n  order_id:\n    checksum: crc\n");
  EXPECT_NE(m.find("v.yaml:4: validators.order_id: checksum: expected luhn or iban, found 'crc'"), std::string::npos) << m;
  m = err("default_queue: g\nvalidators:\n  order_id:\n    regexp: x\n");
  EXPECT_NE(m.find("v.yaml:4: validators.order_id: unknown key 'regexp' (did you mean 'regex'?)"), std::string::npos) << m;
  m = err("default_queue: g\nvalidators:\n  amount:\n    currency: true\n");
  EXPECT_NE(m.find("v.yaml:4: validators.amount: currency: currency needs amount: true"), std::string::npos) << m;
  m = err("default_queue: g\nvalidators:\n  amount: {}\n");
  EXPECT_NE(m.find("v.yaml:3: validators.amount: expected at least one of regex, checksum, amount"), std::string::npos) << m;
  m = err("default_queue: g\noverrides:\n  - name: x\n    entity: order_id\n    require_valid: true\n    queue: q\n");
  EXPECT_NE(m.find("v.yaml:5: overrides[0] (x): require_valid: no validator for entity 'order_id'"), std::string::npos)
      << m;
  m = err("default_queue: g\noverrides:\n  - name: x\n    intent: refund\n    require_valid: yes-ish\n    queue: q\n");
  EXPECT_NE(m.find("v.yaml:5: overrides[0] (x): require_valid: expected true or false"), std::string::npos) << m;
  auto r = RoutingRules::load_string("default_queue: g\nvalidators:\n  order_ids:\n    regex: x\n", "v.yaml");
  m = error_of([&] { r.validate_labels(kEntities, kIntents); });
  EXPECT_NE(m.find("validators.order_ids: unknown entity label 'order_ids' (did you mean 'order_id'?"), std::string::npos)
      << m;
}

}  // namespace
}  // namespace triage::serve

namespace triage::serve {
namespace {

// Abstaining to a human (issue 18): on the margin between the top two intents, and on the
// confidence of the entity an override depends on; both fallback with the reason.
TEST(Abstain, MarginAndEntityConfidence) {
  const char* yaml = R"(default_queue: general
fallback_queue: human_review
min_intent_confidence: 0.4
min_intent_margin: 0.2
intents: {refund: billing, billing: billing}
overrides:
  - name: outage
    entity: error_code
    min_entity_score: 0.8
    queue: tech_escalation
)";
  auto r = RoutingRules::load_string(yaml, "a.yaml");
  RouteInput in;
  in.has_intent = true;
  in.intent = "refund";
  in.intent_score = 0.55f;
  in.runner_up_score = 0.45f;
  auto d = r.route(in);
  EXPECT_EQ(d.queue, "human_review");
  EXPECT_TRUE(d.fallback);
  EXPECT_EQ(d.reason, "low_margin:0.1 < 0.2");
  in.runner_up_score = 0.3f;
  EXPECT_EQ(r.route(in).reason, "intent:refund");
  in.entities = {{"error_code", "E-42", 0.6f}, {"error_code", "E-43", 0.7f}};
  d = r.route(in);
  EXPECT_TRUE(d.fallback);
  EXPECT_EQ(d.reason, "low_entity_confidence:outage:0.7 < 0.8");  // the most confident match decides
  in.entities.push_back({"error_code", "E-44", 0.9f});
  EXPECT_EQ(r.route(in).reason, "override:outage");
  EXPECT_EQ(r.queues(), (std::vector<std::string>{"billing", "general", "human_review", "tech_escalation"}));

  const auto err = [](const std::string& y) { return error_of([&] { RoutingRules::load_string(y, "a.yaml"); }); };
  auto m = err("default_queue: g\nmin_intent_margin: 0.3\n");
  EXPECT_NE(m.find("missing key 'fallback_queue'"), std::string::npos) << m;
  m = err("default_queue: g\nfallback_queue: h\nmin_intent_margin: 2\n");
  EXPECT_NE(m.find("a.yaml:3: min_intent_margin: expected a number between 0 and 1, found '2'"), std::string::npos) << m;
  m = err("default_queue: g\nfallback_queue: h\noverrides:\n  - name: x\n    intent: refund\n    min_entity_score: 0.5\n"
          "    queue: q\n");
  EXPECT_NE(m.find("a.yaml:6: overrides[0] (x): min_entity_score: needs 'entity'"), std::string::npos) << m;
  m = err("default_queue: g\noverrides:\n  - name: x\n    entity: amount\n    min_entity_score: 0.5\n    queue: q\n");
  EXPECT_NE(m.find("a.yaml:5: overrides[0] (x): min_entity_score: needs 'fallback_queue'"), std::string::npos) << m;
}

}  // namespace
}  // namespace triage::serve

namespace triage::serve {
namespace {

// "explain": every step in evaluation order up to the deciding one, with the evidence.
TEST(Explain, StepsInOrderWithEvidence) {
  auto r = RoutingRules::load_string(kContractYaml, "c.yaml");
  EXPECT_EQ(r.version().size(), 12u);
  EXPECT_NE(r.version(), RoutingRules::load_string(std::string(kContractYaml) + "\n# edited\n", "c.yaml").version());
  RouteInput in;
  in.has_intent = true;
  in.intent = "refund";
  in.intent_score = 0.9f;
  in.runner_up_score = 0.05f;
  in.entities = {{"amount", "$40", 0.95f}};
  std::vector<ExplainStep> steps;
  const auto d = r.route(in, &steps);
  EXPECT_EQ(d.reason, "intent:refund");
  ASSERT_EQ(steps.size(), 6u);
  EXPECT_EQ(steps[0].rule, "override:outage_codes");
  EXPECT_FALSE(steps[0].matched);
  EXPECT_EQ(steps[0].why, "no error_code entity");
  EXPECT_EQ(steps[1].rule, "override:large_amount");
  EXPECT_EQ(steps[1].why, "amount '$40' (score 0.95) = 40 <= 500");
  EXPECT_EQ(steps[2].why, "no order_id entity");
  EXPECT_EQ(steps[3].rule, "min_intent_confidence");
  EXPECT_EQ(steps[3].why, "intent refund score 0.9 >= 0.5");
  EXPECT_EQ(steps[4].rule, "min_intent_margin");
  EXPECT_FALSE(steps[4].matched);
  EXPECT_EQ(steps[5].rule, "intents");
  EXPECT_TRUE(steps[5].matched);
  EXPECT_EQ(steps[5].why, "refund -> billing");
  in.entities.push_back({"order_id", "A-1", 0.8f});
  steps.clear();
  EXPECT_EQ(r.route(in, &steps).reason, "override:refund_with_order");
  EXPECT_TRUE(steps.back().matched);
  EXPECT_EQ(steps.back().why, "order_id 'A-1' (score 0.8), intent refund");
  EXPECT_EQ(r.route(in).reason, "override:refund_with_order") << "the same decision without explain";
}

}  // namespace
}  // namespace triage::serve
