// VocabMap insertion and growth (lookups are inline in vocab_map.h).
#include "data/vocab_map.h"

#include <algorithm>

namespace triage::data {

void VocabMap::grow() {
  const size_t capacity = std::max<size_t>(64, slots_.size() * 2);
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(capacity, Slot{});
  mask_ = capacity - 1;
  for (const Slot& s : old) {
    if (s.id < 0) continue;
    const uint64_t h = hash(std::string_view(arena_.data() + s.offset, s.size));
    size_t i = h & mask_;
    while (slots_[i].id >= 0) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

bool VocabMap::insert(std::string_view key, int32_t id) {
  if ((count_ + 1) * 2 > slots_.size()) grow();  // load factor <= 1/2
  const uint64_t h = hash(key);
  const uint32_t tag = static_cast<uint32_t>(h >> 32);
  size_t i = h & mask_;
  for (; slots_[i].id >= 0; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (s.tag == tag && s.size == key.size() &&
        std::string_view(arena_.data() + s.offset, s.size) == key)
      return false;
  }
  slots_[i] = Slot{static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(key.size()), tag,
                   id};
  arena_.append(key);
  ++count_;
  max_key_size_ = std::max(max_key_size_, key.size());
  return true;
}

}  // namespace triage::data
