// Entity values for the synthetic corpus: several surface formats per label so that a model
// learns the label from format and context together, never from one fixed pattern. Names and
// products are made up; names and cities include non-ASCII letters so code-point offsets differ
// from byte offsets.
#include <array>
#include <cstdio>
#include <string>

#include "data/generate/parts.h"

namespace triage::data::gen {
namespace {

const char* const kFirstNames[] = {
    "Maria",   "James",   "Aisha",   "Wei",     "José",     "Zoë",     "Łukasz",  "Søren",
    "Chloé",   "Mateo",   "Priya",   "Olumide", "Hannah",   "Björn",   "Siobhán", "Yuki",
    "Fatima",  "Ahmed",   "Emma",    "Liam",    "Noah",     "Olivia",  "Inês",    "Dmitri",
    "Ana",     "Kofi",    "Sakura",  "Raphaël", "François", "Jürgen",  "Ingrid",  "Tomás",
    "Agnieszka", "Mehmet", "Leila",  "Carlos",  "Sofia",    "Daniel",  "Grace",   "Kwame",
    "Amélie",  "Oğuz",    "Renée",   "Peter",   "Sarah",    "Michael", "Laura",   "David",
    "Nadia",   "Omar",    "Elena",   "Lucas",   "Mia",      "Ravi",    "Thandiwe", "Ethan"};
const char* const kLastNames[] = {
    "García",  "Müller",  "Nowak",    "Dubois",   "Smith",    "Johnson",  "Patel",   "Okafor",
    "Zhang",   "Kowalski", "Ødegaard", "Þórsdóttir", "Nguyễn", "Tanaka",  "Rossi",   "O'Brien",
    "Hernández", "Schmidt", "Novák",  "Yılmaz",   "Andersson", "Kim",     "Brown",   "Williams",
    "Silva",   "Costa",   "Jensen",   "Lefèvre",  "Ivanova",  "Mensah",   "Haddad",  "van der Berg",
    "Moreau",  "Fischer", "Walsh",    "Chen",     "Singh",    "Ahmed",    "Larsen",  "Jovanović"};
const char* const kCities[] = {
    "São Paulo", "Zürich", "Kraków", "Malmö", "Québec", "Reykjavík", "Düsseldorf", "Montréal",
    "Lyon", "Austin", "Leeds", "Dublin", "Toronto", "Osaka", "Sevilla", "Göteborg", "Łódź",
    "Bogotá", "Córdoba", "Melbourne", "Nairobi", "Porto", "Aarhus", "Brno"};
const char* const kCompanies[] = {"Northwind", "Lumenly", "Hexa Home", "Parcelo", "Finch & Co",
                                  "Bluecart", "Tidemark", "Corvel"};
const char* const kBrands[] = {"Aurora", "Nimbus", "Kestrel", "Vantro", "Lumière", "Zephyr",
                               "Halcyon", "Orbix", "Tessel", "Quillon", "Brevia", "Solara",
                               "Fjordby", "Mirelle", "Caldera", "Pellucid", "Ostara", "Vireo"};
const char* const kDevices[] = {
    "Router", "Mesh Router", "Smartwatch", "Laptop", "Soundbar", "Desk Lamp", "Coffee Maker",
    "Earbuds", "Headphones", "Tablet", "Thermostat", "Air Purifier", "Robot Vacuum", "Webcam",
    "Keyboard", "E-Reader", "Security Camera", "Blender", "E-Scooter", "Fitness Band", "Printer",
    "Smart Speaker", "Doorbell", "Power Bank"};
const char* const kModels[] = {"", "", "", " 2", " X2", " Pro", " Mini", " Max", " S3",
                               " 5G", " Lite", " Plus", " Air", " 300", " One"};
const char* const kServices[] = {"Cloud Backup", "VPN", "Photo Studio", "Password Vault",
                                 "Music", "TV", "Fitness Coach", "Home Security", "Office Suite"};
const char* const kTiers[] = {"", "", " Premium", " Family", " Pro", " Plus", " Basic"};
const char* const kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                               "July",    "August",   "September", "October", "November", "December"};
const char* const kMonthsShort[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
const char* const kWeekdays[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                 "Saturday", "Sunday"};
const char* const kMailDomains[] = {"gmail.com", "outlook.com", "yahoo.com", "proton.me",
                                    "mailbox.org", "icloud.com", "fastmail.com", "web.de",
                                    "hotmail.co.uk", "acme-corp.com", "studio-ink.io"};

std::string digits(Rng& rng, int n, bool leading_zero_ok = true) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    int d = static_cast<int>(rng.below(10));
    if (i == 0 && !leading_zero_ok) d = 1 + static_cast<int>(rng.below(9));
    s += static_cast<char>('0' + d);
  }
  return s;
}

std::string upper_letter(Rng& rng) { return std::string(1, static_cast<char>('A' + rng.below(26))); }

std::string hex_digits(Rng& rng, int n) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string s;
  for (int i = 0; i < n; ++i) s += kHex[rng.below(16)];
  return s;
}

// 1234567 -> "1,234,567" with the given separator.
std::string group_thousands(uint64_t v, char sep) {
  std::string raw = std::to_string(v), out;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (i > 0 && (raw.size() - i) % 3 == 0) out += sep;
    out += raw[i];
  }
  return out;
}

std::string ordinal(int d) {
  const char* suffix = "th";
  if (d % 100 < 11 || d % 100 > 13) {
    if (d % 10 == 1) suffix = "st";
    else if (d % 10 == 2) suffix = "nd";
    else if (d % 10 == 3) suffix = "rd";
  }
  return std::to_string(d) + suffix;
}

std::string two(int v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d", v);
  return buf;
}

// Lower-case ASCII fold of a name for an e-mail local part: drops accents, spaces, apostrophes.
std::string fold_for_email(std::string_view name) {
  static const std::array<std::pair<const char*, const char*>, 34> kFold = {{
      {"á", "a"}, {"à", "a"}, {"ã", "a"}, {"â", "a"}, {"ä", "a"}, {"é", "e"}, {"è", "e"},
      {"ê", "e"}, {"ë", "e"}, {"í", "i"}, {"ı", "i"}, {"ó", "o"}, {"ö", "o"}, {"ø", "o"},
      {"Ø", "o"}, {"ú", "u"}, {"ü", "u"}, {"ñ", "n"}, {"ç", "c"}, {"ğ", "g"}, {"ł", "l"},
      {"Ł", "l"}, {"ś", "s"}, {"ć", "c"}, {"š", "s"}, {"ž", "z"}, {"Þ", "th"}, {"ð", "d"},
      {"ễ", "e"}, {"ý", "y"}, {"ř", "r"}, {"ą", "a"}, {"ę", "e"}, {"ô", "o"}}};
  std::string out;
  size_t i = 0;
  while (i < name.size()) {
    bool matched = false;
    for (const auto& [from, to] : kFold) {
      std::string_view f(from);
      if (name.substr(i, f.size()) == f) {
        out += to;
        i += f.size();
        matched = true;
        break;
      }
    }
    if (matched) continue;
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c < 0x80) {
      if (c >= 'A' && c <= 'Z') out += static_cast<char>(c - 'A' + 'a');
      else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out += static_cast<char>(c);
    }
    ++i;  // other non-ASCII bytes are dropped
  }
  return out;
}

}  // namespace

const char* label_name(Label label) {
  static const char* const kNames[] = {"order_id", "account_id", "email",      "phone",      "product",
                                       "amount",   "date",       "error_code", "person_name"};
  return kNames[static_cast<int>(label)];
}

std::string make_order_id(Rng& rng) {
  switch (rng.below(6)) {
    case 0: return "#" + upper_letter(rng) + "-" + digits(rng, 5, false);          // #A-77120
    case 1: return digits(rng, static_cast<int>(rng.range(11, 15)), true);         // 113542617735902
    case 2: return "ORD-" + std::to_string(rng.range(2023, 2026)) + "-" + digits(rng, 4, false);
    case 3: return "#" + digits(rng, 7, false);                                    // #4471209
    case 4: return "W" + digits(rng, 8, true);                                     // W00412883
    default: return "SO-" + digits(rng, 6, false) + "-" + upper_letter(rng);       // SO-558120-K
  }
}

std::string make_account_id(Rng& rng) {
  switch (rng.below(6)) {
    case 0: return "ACC-" + digits(rng, 7, false);
    case 1: return "acct-" + digits(rng, 8, true);
    case 2: return "CUST-" + digits(rng, 6, false);
    case 3: return "U-" + digits(rng, 8, false);
    case 4: {
      static const char kAlnum[] = "abcdefghjkmnpqrstuvwxyz23456789";
      std::string s = "user_";
      for (int i = 0; i < 6; ++i) s += kAlnum[rng.below(sizeof kAlnum - 1)];
      return s;
    }
    default: return "AC" + digits(rng, 6, false) + upper_letter(rng);
  }
}

std::string make_email(Rng& rng, std::string_view first, std::string_view last) {
  std::string f = fold_for_email(first), l = fold_for_email(last);
  if (f.empty()) f = "user";
  if (l.empty()) l = "mail";
  std::string local;
  switch (rng.below(6)) {
    case 0: local = f + "." + l; break;
    case 1: local = f.substr(0, 1) + l; break;
    case 2: local = f + "_" + l + digits(rng, 2); break;
    case 3: local = f + digits(rng, static_cast<int>(rng.range(2, 4))); break;
    case 4: local = l + "." + f.substr(0, 1); break;
    default: local = f + l; break;
  }
  return local + "@" + rng.pick(kMailDomains);
}

std::string make_phone(Rng& rng) {
  const std::string area = digits(rng, 3, false), mid = digits(rng, 3), last = digits(rng, 4);
  switch (rng.below(9)) {
    case 0: return "+1 (" + area + ") " + mid + "-" + last;
    case 1: return area + "-" + mid + "-" + last;
    case 2: return "(" + area + ") " + mid + "-" + last;
    case 3: return area + "." + mid + "." + last;
    case 4: return "+44 20 " + digits(rng, 4, false) + " " + digits(rng, 4);
    case 5: return "07" + digits(rng, 3) + " " + digits(rng, 6);
    case 6: return "+49 30 " + digits(rng, 7, false);
    case 7: return "+33 6 " + two(static_cast<int>(rng.below(100))) + " " + two(static_cast<int>(rng.below(100))) +
                   " " + two(static_cast<int>(rng.below(100))) + " " + two(static_cast<int>(rng.below(100)));
    default: return "+1" + area + mid + last;
  }
}

std::string make_product(Rng& rng) {
  std::string brand = rng.pick(kBrands), device = rng.pick(kDevices), model = rng.pick(kModels);
  if (rng.chance(0.2) && !model.empty()) return brand + model + " " + device;  // "Kestrel Pro Laptop"
  return brand + " " + device + model;                                          // "Aurora Router X2"
}

std::string make_service(Rng& rng) {
  return std::string(rng.pick(kBrands)) + " " + rng.pick(kServices) + rng.pick(kTiers);
}

std::string make_amount(Rng& rng) {
  uint64_t whole;
  switch (rng.below(3)) {
    case 0: whole = static_cast<uint64_t>(rng.range(3, 99)); break;
    case 1: whole = static_cast<uint64_t>(rng.range(100, 999)); break;
    default: whole = static_cast<uint64_t>(rng.range(1000, 2999)); break;
  }
  const bool cents = rng.chance(0.6);
  const std::string c = cents ? two(static_cast<int>(rng.pick(std::vector<int>{99, 95, 50, 0, 49, 90, 10, 75}))) : "";
  const std::string us = group_thousands(whole, ',') + (cents ? "." + c : "");
  const std::string eu = group_thousands(whole, '.') + (cents ? "," + c : "");
  switch (rng.below(10)) {
    case 0: case 1: return "$" + us;
    case 2: return us + " USD";
    case 3: return us + " " + rng.pick(std::vector<std::string>{"EUR", "GBP", "CAD", "AUD"});
    case 4: return "€" + us;
    case 5: return "£" + us;
    case 6: return eu + " €";
    case 7: return rng.pick(std::vector<std::string>{"USD", "CHF", "EUR"}) + " " + us;
    case 8: return us + " " + rng.pick(std::vector<std::string>{"dollars", "euros", "pounds"});
    default: return "€" + eu;
  }
}

std::string make_date(Rng& rng) {
  const int year = static_cast<int>(rng.range(2024, 2026));
  const int month = static_cast<int>(rng.range(1, 12));
  const int day = static_cast<int>(rng.range(1, 28));
  const std::string m = kMonths[month - 1], ms = kMonthsShort[month - 1];
  switch (rng.below(12)) {
    case 0: return std::to_string(year) + "-" + two(month) + "-" + two(day);
    case 1: return two(day) + "/" + two(month) + "/" + std::to_string(year);
    case 2: return std::to_string(month) + "/" + std::to_string(day) + "/" + std::to_string(year % 100);
    case 3: return m + " " + std::to_string(day);
    case 4: return m + " " + std::to_string(day) + ", " + std::to_string(year);
    case 5: return std::to_string(day) + " " + m + " " + std::to_string(year);
    case 6: return ordinal(day) + " of " + m;
    case 7: return two(day) + "." + two(month) + "." + std::to_string(year);
    case 8: return std::string(rng.pick(kWeekdays)) + ", " + m + " " + ordinal(day);
    case 9: return std::to_string(day) + " " + ms;
    case 10: return ms + " " + ordinal(day);
    default: return m + " " + ordinal(day);
  }
}

std::string make_error_code(Rng& rng) {
  static const char* const kAreas[] = {"CONN", "SYNC", "AUTH", "DISK", "NET", "CERT", "PAY", "DNS"};
  static const char* const kWhat[] = {"RESET", "TIMEOUT", "FAILED", "INVALID", "EXPIRED", "REFUSED"};
  static const char* const kPrefixes[] = {"SYNC", "PAY", "NET", "AUTH", "UPD", "BT"};
  switch (rng.below(6)) {
    case 0: return "E-" + digits(rng, 4, false);
    case 1: return "E" + digits(rng, 4, false);
    case 2: return std::string("ERR_") + rng.pick(kAreas) + "_" + rng.pick(kWhat);
    case 3: {
      std::string s = "0x8007";
      s += hex_digits(rng, 4);
      return s;
    }
    case 4: {
      std::string s = rng.chance(0.5) ? "0xC0" : "0x80";
      s += hex_digits(rng, 6);
      return s;
    }
    default: return std::string(rng.pick(kPrefixes)) + "-" + digits(rng, static_cast<int>(rng.range(3, 4)), false);
  }
}

std::string pick_first_name(Rng& rng) { return rng.pick(kFirstNames); }
std::string pick_last_name(Rng& rng) { return rng.pick(kLastNames); }
std::string pick_city(Rng& rng) { return rng.pick(kCities); }
std::string pick_company(Rng& rng) { return rng.pick(kCompanies); }

}  // namespace triage::data::gen
