// Parity helper for data::Regex: reads texts as JSON strings, one per line, from stdin and
// writes per line the JSON list of the matches of PATTERN as [begin, end) code-point offsets.
//   regex_split_dump PATTERN
// Exit 2 on an invalid pattern (the error on stderr).
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/regex.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: regex_split_dump PATTERN\n";
    return 2;
  }
  std::unique_ptr<triage::data::Regex> re;
  try {
    re = std::make_unique<triage::data::Regex>(argv[1], "argv[1]");
  } catch (const triage::InputError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  std::string line;
  std::vector<std::pair<size_t, size_t>> matches;
  while (std::getline(std::cin, line)) {
    const std::string text = nlohmann::json::parse(line).get<std::string>();
    matches.clear();
    re->find_all(text, matches);
    // byte offset -> code point index
    std::vector<size_t> cp_at(text.size() + 1, 0);
    size_t cp = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      cp_at[i] = cp;
      if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++cp;
      else cp_at[i] = cp - 1;
    }
    cp_at[text.size()] = cp;
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [b, e] : matches) out.push_back({cp_at[b], cp_at[e]});
    std::cout << out.dump() << "\n";
  }
  return 0;
}
