// Helpers of the data-layer tests: a tiny in-memory WordPiece tokenizer (so unit tests need
// nothing from ../shared); temporary directories come from tests/common/test_util.h.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "data/wordpiece.h"
#include "tests/common/test_util.h"

namespace triage::data::testing {

// [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, then words and continuation pieces.
inline std::unique_ptr<WordPieceTokenizer> tiny_tokenizer() {
  std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  for (const char* w : {"my", "order", "is", "late", "customer", "agent", ":", "?", ",", ".", "-",
                        "john", "smith", "to", "paris", "ab", "##cd", "##ef", "refund", "please",
                        "help", "the", "a", "#", "ord", "##er", "@", "mail", "com", "x", "y", "z"})
    vocab.emplace_back(w);
  for (int d = 0; d < 10; ++d) {
    vocab.push_back(std::to_string(d));
    vocab.push_back("##" + std::to_string(d));
  }
  std::vector<AddedToken> added;
  for (int i = 0; i < 5; ++i) {
    AddedToken t;
    t.content = vocab[static_cast<size_t>(i)];
    t.id = i;
    t.special = true;
    added.push_back(t);
  }
  return std::make_unique<WordPieceTokenizer>(vocab, WordPieceOptions{}, added);
}

using triage::testing::TempDir;
using triage::testing::shared_dir;

}  // namespace triage::data::testing
