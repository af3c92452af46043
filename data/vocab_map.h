// A read-mostly string -> id hash map for vocabularies: open addressing over one key arena,
// looked up with string_views (no allocation per lookup), which is what the WordPiece
// greedy longest-match loop does for every candidate sub-word.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace triage::data {

class VocabMap {
 public:
  // Inserts key -> id; returns false (and changes nothing) when key is already present.
  bool insert(std::string_view key, int32_t id);
  // The id of key, -1 when absent.
  int32_t find(std::string_view key) const {
    if (slots_.empty()) return -1;
    const uint64_t h = hash(key);
    const uint32_t tag = static_cast<uint32_t>(h >> 32);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id < 0) return -1;
      if (s.tag == tag && s.size == key.size() &&
          std::string_view(arena_.data() + s.offset, s.size) == key)
        return s.id;
    }
  }
  size_t size() const { return count_; }
  size_t max_key_size() const { return max_key_size_; }

  static uint64_t hash(std::string_view key) {
    uint64_t h = 0xcbf29ce484222325ULL ^ key.size();  // FNV-1a, then a final mix
    for (unsigned char c : key) h = (h ^ c) * 0x100000001b3ULL;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    return h ^ (h >> 32);
  }

 private:
  struct Slot {
    uint32_t offset = 0;
    uint32_t size = 0;
    uint32_t tag = 0;
    int32_t id = -1;  // -1: empty
  };
  void grow();

  std::vector<Slot> slots_;
  std::string arena_;
  size_t mask_ = 0;
  size_t count_ = 0;
  size_t max_key_size_ = 0;
};

}  // namespace triage::data
