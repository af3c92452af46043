// A subword model's tokens per piece, cached per thread (tokenizers caches BPE and Unigram
// results per word too): pieces under 256 bytes, up to 10,000 of them, for one model at a
// time per thread (a thread that switches models starts over). Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "data/subword_model.h"

namespace triage::data {

class PieceCache {
 public:
  // A key for a new model instance.
  static uint64_t new_instance();
  // The calling thread's cache, holding results of model `instance` only.
  static PieceCache& for_thread(uint64_t instance);

  // Appends piece's cached tokens to out; false when it is not cached.
  bool find(std::string_view piece, std::vector<PieceToken>& out) const;
  // Caches tokens [first, out.size()) of out as piece's, if there is room.
  void store(std::string_view piece, const std::vector<PieceToken>& out, size_t first);

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const;
  };
  uint64_t instance_ = 0;
  std::unordered_map<std::string, std::vector<PieceToken>, Hash, std::equal_to<>> pieces_;
};

}  // namespace triage::data
