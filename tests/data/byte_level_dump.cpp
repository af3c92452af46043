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
  std::vector<triage::data::AlignedText> pieces;
  while (std::getline(std::cin, line)) {
    triage::data::utf8::decode(nlohmann::json::parse(line).get<std::string>(), cps);
    triage::data::AlignedText text;
    text.chars.assign(cps.begin(), cps.end());
    for (uint32_t i = 0; i < cps.size(); ++i) text.align.emplace_back(i, i + 1);
    pieces.clear();
    triage::data::byte_level_pre_tokenize(text, o, pieces);
    nlohmann::json out = nlohmann::json::array();
    for (const auto& p : pieces) {
      std::string s;
      for (char32_t c : p.chars) triage::data::utf8::append(s, c);
      const auto [b, e] = p.original(0, p.chars.size());
      out.push_back({s, b, e});
    }
    std::cout << out.dump() << "\n";
  }
  return 0;
}
