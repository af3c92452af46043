// Parity helper for data::BpeModel: reads the "model" of a tokenizer.json, then lines of JSON
// lists of pre-tokenized pieces from stdin; writes per line, per piece, its tokens as
// [id, begin, end] (characters of the piece), or {"error": ...}.
//   bpe_dump TOKENIZER_JSON
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file_io.h"
#include "data/bpe.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: bpe_dump TOKENIZER_JSON\n";
    return 2;
  }
  std::optional<triage::data::BpeModel> model;
  try {
    const auto j = triage::read_json_file(argv[1]);
    model.emplace(triage::data::BpeModel::from_json(j.at("model"), std::string(argv[1]) + ": model"));
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  std::string line;
  std::vector<triage::data::PieceToken> toks;
  while (std::getline(std::cin, line)) {
    nlohmann::json out = nlohmann::json::array();
    try {
      for (const auto& piece : nlohmann::json::parse(line)) {
        toks.clear();
        model->tokenize(piece.get<std::string>(), toks);
        nlohmann::json p = nlohmann::json::array();
        for (const auto& t : toks) p.push_back({t.id, t.begin, t.end});
        out.push_back(std::move(p));
      }
    } catch (const std::exception& e) {
      out = {{"error", e.what()}};
    }
    std::cout << out.dump() << "\n";
  }
  return 0;
}
