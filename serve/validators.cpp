// Entity validators (see validators.h).
#include "serve/validators.h"

#include <cctype>
#include <vector>

#include "data/regex.h"
#include "serve/routing.h"

namespace triage::serve {

bool luhn_valid(std::string_view text) {
  std::vector<int> digits;
  for (char c : text) {
    if (c >= '0' && c <= '9') digits.push_back(c - '0');
    else if (c != ' ' && c != '-') return false;
  }
  if (digits.size() < 12 || digits.size() > 19) return false;
  int sum = 0;
  for (size_t i = 0; i < digits.size(); ++i) {
    int d = digits[digits.size() - 1 - i];
    if (i % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 == 0;
}

bool iban_valid(std::string_view text) {
  std::string s;
  for (char c : text) {
    if (c == ' ') continue;
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
    s += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (s.size() < 15 || s.size() > 34) return false;
  if (!std::isalpha(static_cast<unsigned char>(s[0])) || !std::isalpha(static_cast<unsigned char>(s[1])) ||
      !std::isdigit(static_cast<unsigned char>(s[2])) || !std::isdigit(static_cast<unsigned char>(s[3])))
    return false;
  const std::string moved = s.substr(4) + s.substr(0, 4);
  int rem = 0;
  for (char c : moved) {
    const int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : c - 'A' + 10;
    rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
  }
  return rem == 1;
}

bool amount_valid(std::string_view text, bool currency) {
  if (!parse_amount(std::string(text))) return false;
  if (!currency) return true;
  static const char* const kSigns[] = {"$", "\xE2\x82\xAC", "\xC2\xA3", "\xC2\xA5", "\xE2\x82\xB9", "\xE2\x82\xBD",
                                       "\xE2\x82\xA9", "\xE2\x82\xBA", "\xE2\x82\xAA", "\xE2\x82\xAB", "\xE2\x82\xB1",
                                       "\xE0\xB8\xBF"};
  for (const char* sign : kSigns)
    if (text.find(sign) != std::string_view::npos) return true;
  for (size_t i = 0; i + 3 <= text.size(); ++i) {  // a standalone three-letter upper-case code
    const auto up = [&](size_t k) { return std::isupper(static_cast<unsigned char>(text[k])) != 0; };
    const auto letter = [&](size_t k) { return k < text.size() && std::isalpha(static_cast<unsigned char>(text[k])); };
    if (up(i) && up(i + 1) && up(i + 2) && (i == 0 || !letter(i - 1)) && !letter(i + 3)) return true;
  }
  return false;
}

bool EntityValidator::valid(std::string_view text) const {
  if (regex) {
    std::vector<std::pair<size_t, size_t>> m;
    regex->find_all(text, m);
    if (m.empty() || m.front().first != 0 || m.front().second != text.size()) return false;
  }
  if (checksum == Checksum::luhn && !luhn_valid(text)) return false;
  if (checksum == Checksum::iban && !iban_valid(text)) return false;
  if (amount && !amount_valid(text, currency)) return false;
  return true;
}

}  // namespace triage::serve
