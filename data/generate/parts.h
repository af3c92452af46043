// Internal to triage_generate: the building blocks a conversation is assembled from.
// entities.cpp makes entity values (one generator per label, several surface formats each);
// templates.cpp holds the phrasing tables per intent; render.cpp expands a template into
// text with exact entity spans and applies the customer-side noise (typos, casing, slang).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/generate/rng.h"

namespace triage::data::gen {

enum class Label : int {
  order_id, account_id, email, phone, product, amount, date, error_code, person_name, count
};
inline constexpr int kNumLabels = static_cast<int>(Label::count);
const char* label_name(Label label);

// ---- entity values (entities.cpp) ----
std::string make_order_id(Rng& rng);
std::string make_account_id(Rng& rng);
std::string make_email(Rng& rng, std::string_view first, std::string_view last);
std::string make_phone(Rng& rng);
std::string make_product(Rng& rng);   // a device from the catalogue
std::string make_service(Rng& rng);   // a subscription service from the catalogue
std::string make_amount(Rng& rng);
std::string make_date(Rng& rng);
std::string make_error_code(Rng& rng);
std::string pick_first_name(Rng& rng);
std::string pick_last_name(Rng& rng);
std::string pick_city(Rng& rng);      // not an entity (non-ASCII on purpose)
std::string pick_company(Rng& rng);   // the support desk's brand, not an entity

// ---- phrasing (templates.cpp) ----
// Template syntax: "[a|b|c]" picks one alternative (may be empty, no nesting);
// "{slot}" is a value from the conversation's context (see render.cpp for the slots).
struct IntentPhrases {
  const char* intent;
  std::vector<const char*> openings;     // customer states the problem: always reveals the intent
  std::vector<const char*> details;      // optional second customer sentence
  std::vector<Label> asks;               // what the agent asks the customer for
  std::vector<const char*> resolutions;  // agent resolves or answers
  std::vector<const char*> followups;    // customer, later turns
};
const std::vector<IntentPhrases>& intent_phrases();
struct CommonPhrases {
  std::vector<const char*> greetings, intros, contacts, closings;      // customer
  std::vector<const char*> agent_greetings, agent_closings, agent_empathy;
  std::vector<const char*> generic_followups;                          // customer
  std::vector<std::vector<const char*>> asks;   // per Label: agent asks for it
  std::vector<std::vector<const char*>> gives;  // per Label: customer gives it
};
const CommonPhrases& common_phrases();

// ---- rendering (render.cpp) ----
struct Span {
  size_t start, end;  // code points, end exclusive
  Label label;
};
struct RenderedTurn {
  std::string text;
  std::vector<Span> spans;
};

// The values one conversation refers to, made on first use so that every mention agrees.
class Context {
 public:
  explicit Context(Rng& rng) : rng_(rng) {}
  // Value and label (nullopt label: plain text such as a city) for a slot name.
  std::pair<std::string, std::optional<Label>> slot(std::string_view name);

 private:
  std::string& lazy(std::optional<std::string>& v, std::string (*make)(Rng&));
  Rng& rng_;
  std::optional<std::string> first_, last_, agent_, colleague_, supervisor_, order_id_, account_id_, email_,
      phone_, product_, product2_, service_, amount_, amount2_, date_, date2_, error_code_,
      city_, company_;
};

struct NoiseOptions {
  double typo_rate = 0.0, lowercase_rate = 0.0, slang_rate = 0.0, uppercase_rate = 0.0;
};

// Renders sentences (templates) into one turn. Customer turns get noise; agent turns are clean.
RenderedTurn render_turn(Rng& rng, Context& ctx, const std::vector<const char*>& sentences,
                         bool customer, const NoiseOptions& noise);

size_t count_code_points(std::string_view s);

}  // namespace triage::data::gen
