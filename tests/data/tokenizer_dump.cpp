// Parity helper: reads texts as JSON strings, one per line, from stdin and writes one JSON
// object per line with the triage tokenizer's ids, code-point offsets, special-token mask
// and, for tokenizer.json pipelines, word ids (or an error).
//   tokenizer_dump DIR [--no-special]        load_tokenizer(DIR)
//   tokenizer_dump --spm MODEL [--no-special]  a raw SentencePiece model (no fairseq ids)
//   tokenizer_dump DIR --save OUT            also save() the tokenizer into OUT first
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
  bool special = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--no-special") {
      special = false;
    } else if (a == "--save" && i + 1 < argc) {
      save = argv[++i];
    } else if (a == "--spm" && i + 1 < argc) {
      spm = argv[++i];
    } else if (dir.empty() && a[0] != '-') {
      dir = a;
    } else {
      std::cerr << "usage: tokenizer_dump DIR|--spm MODEL [--no-special]\n";
      return 2;
    }
  }
  std::unique_ptr<Tokenizer> tok;
  try {
    tok = spm.empty() ? load_tokenizer(dir) : SentencePieceTokenizer::from_file(spm);
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
      const std::string text = nlohmann::json::parse(line).get<std::string>();
      std::vector<int32_t> words;
      const auto* json_tok = dynamic_cast<const JsonTokenizer*>(tok.get());
      const Encoding e = json_tok ? json_tok->encode_with_words(text, special, words)
                                  : tok->encode(text, special);
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
