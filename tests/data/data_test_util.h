// Helpers shared by the data-layer tests: a tiny in-memory WordPiece tokenizer (so unit
// tests need nothing from ../shared), temporary files, and the shared-data locations.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "data/wordpiece.h"

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

// A fresh temporary directory, removed by the destructor.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("triage_data_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::filesystem::path write(const std::string& name, const std::string& content) const {
    const auto p = path / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  static int& counter() {
    static int c = 0;
    return c;
  }
};

inline std::filesystem::path shared_dir() {
  const char* env = std::getenv("TRIAGE_SHARED_DIR");
  return env ? env : TRIAGE_SHARED_DIR;
}

}  // namespace triage::data::testing
