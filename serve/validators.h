// Entity validators of the routing rules (`validators:` in the routing YAML, issue 18): per
// entity label, a regular expression the whole text must match, a checksum (luhn for card
// numbers, iban for ISO 13616 account numbers) and/or an amount that must parse (optionally
// with a currency). Every answer's entity of a validated label carries `valid`; override
// rules with `require_valid: true` only match valid entities. Torch-free.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace triage::data {
class Regex;
}

namespace triage::serve {

// Card-number style: 12 to 19 digits (spaces and dashes between them ignored) whose Luhn sum
// is a multiple of 10; anything else in the text makes it invalid.
bool luhn_valid(std::string_view text);
// IBAN: spaces ignored, case-insensitive; 2 letters, 2 check digits, then 11 to 30 letters or
// digits (15 to 34 in all), and the ISO 7064 mod-97 remainder of the rearranged number is 1.
bool iban_valid(std::string_view text);
// An amount parse_amount (routing.h) reads; with `currency`, also a currency sign ($ € £ ¥ ₹
// ₽ ₩ ₺ ₪ ₫ ₱ ฿) or a three-letter upper-case code (USD, EUR, ...) next to it.
bool amount_valid(std::string_view text, bool currency);

struct EntityValidator {
  std::shared_ptr<const data::Regex> regex;  // matched against the whole text (\A(?:...)\z)
  std::string pattern;                       // as written in the YAML
  enum class Checksum { none, luhn, iban } checksum = Checksum::none;
  bool amount = false, currency = false;
  // Every configured check holds.
  bool valid(std::string_view text) const;
};

}  // namespace triage::serve
