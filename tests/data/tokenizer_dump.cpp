// Parity helper: reads texts as JSON strings, one per line, from stdin and writes one JSON
// object per line with the triage tokenizer's ids, code-point offsets, special-token mask
// and, for tokenizer.json pipelines, word ids (or an error).
//   tokenizer_dump DIR [--no-special]        load_tokenizer(DIR)
//   tokenizer_dump --spm MODEL [--no-special]  a raw SentencePiece model (no fairseq ids)
//   tokenizer_dump DIR --save OUT            also save() the tokenizer into OUT first
//   tokenizer_dump DIR --words               lines are JSON arrays of pre-split words
//   tokenizer_dump DIR --pipeline            DIR/tokenizer.json through the tokenizer.json
//                                            pipeline whatever its model (WordPiece too)
#include <filesystem>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/json_tokenizer.h"
#include "data/sentencepiece_tokenizer.h"
#include "data/tokenizer.h"

int main(int argc, char** argv) {
  using namespace triage::data;
  std::string dir, spm, save;
  bool special = true, words_in = false, pipeline = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--no-special") {
      special = false;
    } else if (a == "--words") {
      words_in = true;
    } else if (a == "--pipeline") {
      pipeline = true;
    } else if (a == "--save" && i + 1 < argc) {
      save = argv[++i];
    } else if (a == "--spm" && i + 1 < argc) {
      spm = argv[++i];
    } else if (dir.empty() && a[0] != '-') {
      dir = a;
    } else {
      std::cerr << "usage: tokenizer_dump DIR|--spm MODEL [--no-special] [--words] [--pipeline] [--save OUT]\n";
      return 2;
    }
  }
  std::unique_ptr<Tokenizer> tok;
  try {
    if (pipeline) tok = JsonTokenizer::from_file(std::filesystem::path(dir) / "tokenizer.json");
    else tok = spm.empty() ? load_tokenizer(dir) : SentencePieceTokenizer::from_file(spm);
    if (!save.empty()) tok->save(save);
  } catch (const triage::InputError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  std::ios::sync_with_stdio(false);
  std::string line;
  while (std::getline(std::cin, line)) {
    nlohmann::json out;
    try {
      const nlohmann::json in = nlohmann::json::parse(line);
      std::vector<int32_t> words;
      const auto* json_tok = dynamic_cast<const JsonTokenizer*>(tok.get());
      if (words_in && !json_tok) throw triage::InputError("--words needs a tokenizer.json pipeline");
      const Encoding e = words_in   ? json_tok->encode_words(in.get<std::vector<std::string>>(), special, words)
                         : json_tok ? json_tok->encode_with_words(in.get<std::string>(), special, words)
                                    : tok->encode(in.get<std::string>(), special);
      out["ids"] = e.ids;
      out["special"] = e.special;
      if (json_tok) out["words"] = words;
      nlohmann::json offsets = nlohmann::json::array();
      for (const auto& [b, en] : e.offsets) offsets.push_back({b, en});
      out["offsets"] = offsets;
    } catch (const std::exception& ex) {
      out["error"] = ex.what();
    }
    std::cout << out.dump() << '\n';
  }
  return 0;
}
