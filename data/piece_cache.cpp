// Per-thread piece caches (see piece_cache.h).
#include "data/piece_cache.h"

#include <atomic>

#include "data/vocab_map.h"

namespace triage::data {
namespace {
constexpr size_t kMaxPieces = 10000;
constexpr size_t kMaxBytes = 256;
std::atomic<uint64_t> g_next_instance{1};
}  // namespace

size_t PieceCache::Hash::operator()(std::string_view s) const { return VocabMap::hash(s); }

uint64_t PieceCache::new_instance() { return g_next_instance++; }

PieceCache& PieceCache::for_thread(uint64_t instance) {
  thread_local PieceCache cache;
  if (cache.instance_ != instance) {
    cache.pieces_.clear();
    cache.instance_ = instance;
  }
  return cache;
}

bool PieceCache::find(std::string_view piece, std::vector<PieceToken>& out) const {
  const auto it = pieces_.find(piece);
  if (it == pieces_.end()) return false;
  out.insert(out.end(), it->second.begin(), it->second.end());
  return true;
}

void PieceCache::store(std::string_view piece, const std::vector<PieceToken>& out, size_t first) {
  if (piece.size() >= kMaxBytes || pieces_.size() >= kMaxPieces) return;
  pieces_.emplace(std::string(piece), std::vector<PieceToken>(out.begin() + static_cast<std::ptrdiff_t>(first), out.end()));
}

}  // namespace triage::data
