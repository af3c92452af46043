// Parity helper for the ByteLevel pre-tokenizer: reads texts as JSON strings, one per line,
// from stdin; writes per line its pieces as [piece, begin, end] (original code points).
//   byte_level_dump [--no-prefix-space] [--no-regex]
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "data/byte_level.h"
#include "data/utf8.h"

int main(int argc, char** argv) {
  triage::data::ByteLevelOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--no-prefix-space") o.add_prefix_space = false;
    else if (a == "--no-regex") o.use_regex = false;
    else {
      std::cerr << "usage: byte_level_dump [--no-prefix-space] [--no-regex]\n";
      return 2;
    }
  }
  std::string line;
  std::vector<char32_t> cps;
  triage::data::PreTokenized pieces;
  while (std::getline(std::cin, line)) {
    triage::data::utf8::decode(nlohmann::json::parse(line).get<std::string>(), cps);
    pieces.clear();
    for (uint32_t i = 0; i < cps.size(); ++i) pieces.text.push(cps[i], {i, i + 1});
    if (!cps.empty()) pieces.splits.push_back({0, static_cast<uint32_t>(cps.size()), -1});
    triage::data::byte_level_pre_tokenize(pieces, o);
    nlohmann::json out = nlohmann::json::array();
    for (const auto& p : pieces.splits) {
      std::string s;
      for (uint32_t i = p.begin; i < p.end; ++i) triage::data::utf8::append(s, pieces.text.chars[i]);
      const auto [b, e] = pieces.text.original(p.begin, p.end);
      out.push_back({s, b, e});
    }
    std::cout << out.dump() << "\n";
  }
  return 0;
}
