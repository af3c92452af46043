// BPE model (see bpe.h), following tokenizers' models/bpe (model.rs merge_word, word.rs
// merge_all).
#include "data/bpe.h"

#include <atomic>
#include <cstdio>
#include <queue>
#include <map>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/json_stage.h"
#include "data/piece_cache.h"
#include "data/utf8.h"

namespace triage::data {

namespace {

uint64_t pair_key(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

uint64_t mix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  return k ^ (k >> 33);
}

struct Symbol {
  int32_t id;
  uint32_t begin, end;  // characters of the piece
  int32_t prev, next;
  bool alive;
};

struct Candidate {
  uint32_t rank;
  uint32_t pos;
  int32_t id;
  // priority_queue is a max-heap: the lowest rank, then the leftmost, on top
  bool operator<(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};

}  // namespace

BpeModel::BpeModel(std::vector<std::string> vocab, const std::vector<std::pair<std::string, std::string>>& merges,
                   BpeOptions options, const std::string& where)
    : vocab_(std::move(vocab)), options_(std::move(options)), instance_(PieceCache::new_instance()) {
  for (size_t i = 0; i < vocab_.size(); ++i)
    if (!ids_.insert(vocab_[i], static_cast<int32_t>(i)))
      throw InputError(where + ".vocab: token '" + vocab_[i] + "' has two ids (" + std::to_string(ids_.find(vocab_[i])) +
                       " and " + std::to_string(i) + ")");
  if (options_.unk_token) unk_id_ = ids_.find(*options_.unk_token);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    byte_ids_[b] = ids_.find(name);
  }
  size_t cap = 16;
  while (cap < merges.size() * 2) cap <<= 1;
  merges_.assign(cap, MergeSlot{});
  merge_mask_ = cap - 1;
  const size_t prefix_len = options_.continuing_subword_prefix.size();
  std::string merged;
  for (size_t i = 0; i < merges.size(); ++i) {
    const auto& [a, b] = merges[i];
    const std::string at = where + ".merges[" + std::to_string(i) + "]";
    const int32_t a_id = ids_.find(a);
    if (a_id < 0) throw InputError(at + ": '" + a + "' is not in the vocabulary");
    const int32_t b_id = ids_.find(b);
    if (b_id < 0) throw InputError(at + ": '" + b + "' is not in the vocabulary");
    merged.assign(a);
    merged.append(b, std::min(prefix_len, b.size()));
    const int32_t m_id = ids_.find(merged);
    if (m_id < 0) throw InputError(at + ": the merged token '" + merged + "' is not in the vocabulary");
    const uint64_t key = pair_key(a_id, b_id);
    for (size_t s = mix(key) & merge_mask_;; s = (s + 1) & merge_mask_) {
      MergeSlot& slot = merges_[s];
      if (slot.id < 0 || slot.key == key) {  // a repeated pair: the later merge wins, as in tokenizers
        slot = {key, static_cast<uint32_t>(i), m_id};
        break;
      }
    }
  }
}

const BpeModel::MergeSlot* BpeModel::find_merge(int32_t left, int32_t right) const {
  const uint64_t key = pair_key(left, right);
  for (size_t s = mix(key) & merge_mask_;; s = (s + 1) & merge_mask_) {
    const MergeSlot& slot = merges_[s];
    if (slot.id < 0) return nullptr;
    if (slot.key == key) return &slot;
  }
}

void BpeModel::tokenize(std::string_view piece, std::vector<PieceToken>& out) const {
  if (piece.empty()) return;
  if (options_.ignore_merges) {
    if (const int32_t id = ids_.find(piece); id >= 0) {
      uint32_t chars = 0;
      for (size_t i = 0; i < piece.size(); i += utf8::sequence_length(static_cast<unsigned char>(piece[i]))) ++chars;
      out.push_back({id, 0, chars});
      return;
    }
  }
  PieceCache& cache = PieceCache::for_thread(instance_);
  if (cache.find(piece, out)) return;
  const size_t first = out.size();
  merge(piece, out);
  cache.store(piece, out, first);
}

void BpeModel::merge(std::string_view piece, std::vector<PieceToken>& out) const {
  thread_local std::vector<Symbol> symbols;
  thread_local std::string scratch;
  symbols.clear();
  const auto add = [&](int32_t id, uint32_t b, uint32_t e) {
    const auto n = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, b, e, n - 1, -1, true});
    if (n > 0) symbols[static_cast<size_t>(n - 1)].next = n;
  };
  PieceToken unk{-1, 0, 0};  // the pending unk token (id -1: none), fused when fuse_unk
  const auto& prefix = options_.continuing_subword_prefix;
  const auto& suffix = options_.end_of_word_suffix;
  uint32_t ci = 0;
  for (size_t bi = 0; bi < piece.size(); ++ci) {
    const size_t len = std::min(utf8::sequence_length(static_cast<unsigned char>(piece[bi])), piece.size() - bi);
    const bool is_first = bi == 0, is_last = bi + len >= piece.size();
    std::string_view s = piece.substr(bi, len);
    if ((!is_first && !prefix.empty()) || (is_last && !suffix.empty())) {
      scratch.clear();
      if (!is_first) scratch += prefix;
      scratch += s;
      if (is_last) scratch += suffix;
      s = scratch;
    }
    const int32_t id = ids_.find(s);
    if (id >= 0) {
      if (unk.id >= 0) add(unk.id, unk.begin, unk.end);
      unk.id = -1;
      add(id, ci, ci + 1);
    } else {
      bool done = false;
      if (options_.byte_fallback) {
        bool all = true;
        for (unsigned char b : s) all = all && byte_ids_[b] >= 0;
        if (all) {
          // each byte its own token (offsets: the whole character, as tokenizers maps them back)
          if (unk.id >= 0) add(unk.id, unk.begin, unk.end);
          unk.id = -1;
          for (unsigned char b : s) add(byte_ids_[b], ci, ci + 1);
          done = true;
        }
      }
      if (!done && options_.unk_token) {
        if (unk_id_ < 0)
          throw InputError("BPE: the unk token '" + *options_.unk_token + "' is not in the vocabulary");
        if (unk.id >= 0 && options_.fuse_unk) {
          unk.end = ci + 1;
        } else {
          if (unk.id >= 0) add(unk.id, unk.begin, unk.end);
          unk = {unk_id_, ci, ci + 1};
        }
      }
      // no unk token: the character is dropped, as tokenizers does
    }
    bi += len;
  }
  if (unk.id >= 0) add(unk.id, unk.begin, unk.end);

  std::priority_queue<Candidate> queue;
  for (size_t i = 0; i + 1 < symbols.size(); ++i)
    if (const MergeSlot* m = find_merge(symbols[i].id, symbols[i + 1].id))
      queue.push({m->rank, static_cast<uint32_t>(i), m->id});
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.pos];
    if (!left.alive || left.next < 0) continue;
    Symbol& right = symbols[static_cast<size_t>(left.next)];
    const MergeSlot* m = find_merge(left.id, right.id);
    if (!m || m->id != top.id) continue;  // stale: one side has changed since
    left.id = top.id;
    left.end = right.end;
    left.next = right.next;
    right.alive = false;
    if (left.next >= 0) symbols[static_cast<size_t>(left.next)].prev = static_cast<int32_t>(top.pos);
    if (left.prev >= 0)
      if (const MergeSlot* p = find_merge(symbols[static_cast<size_t>(left.prev)].id, left.id))
        queue.push({p->rank, static_cast<uint32_t>(left.prev), p->id});
    if (left.next >= 0)
      if (const MergeSlot* n = find_merge(left.id, symbols[static_cast<size_t>(left.next)].id))
        queue.push({n->rank, top.pos, n->id});
  }
  for (int32_t i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[static_cast<size_t>(i)].next)
    out.push_back({symbols[static_cast<size_t>(i)].id, symbols[static_cast<size_t>(i)].begin,
                   symbols[static_cast<size_t>(i)].end});
}

BpeModel BpeModel::from_json(const nlohmann::json& m, const std::string& where) {
  using nlohmann::json;
  const auto str = [&](const char* key) -> std::string {
    const json& v = m.contains(key) ? m.at(key) : json();
    if (v.is_null()) return "";
    if (!v.is_string()) throw InputError(where + "." + key + ": expected a string or null, found " + v.dump().substr(0, 60));
    return v.get<std::string>();
  };
  const auto flag = [&](const char* key) {
    const json& v = m.contains(key) ? m.at(key) : json();
    if (v.is_null()) return false;
    if (!v.is_boolean()) throw InputError(where + "." + key + ": expected true or false, found " + v.dump().substr(0, 60));
    return v.get<bool>();
  };
  json_stage::check_keys(m, where, {"dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix",
                                    "fuse_unk", "byte_fallback", "ignore_merges", "vocab", "merges"});
  if (m.contains("dropout") && !m["dropout"].is_null())
    throw InputError(where + ".dropout: " + m["dropout"].dump() +
                     " is a training-time option; inference needs null (set it to null in the file)");
  BpeOptions o;
  if (m.contains("unk_token") && !m["unk_token"].is_null()) o.unk_token = str("unk_token");
  o.continuing_subword_prefix = str("continuing_subword_prefix");
  o.end_of_word_suffix = str("end_of_word_suffix");
  o.fuse_unk = flag("fuse_unk");
  o.byte_fallback = flag("byte_fallback");
  o.ignore_merges = flag("ignore_merges");
  std::vector<std::string> vocab = json_stage::vocab_by_id(json_stage::require(m, "vocab", where), where + ".vocab");
  std::vector<std::pair<std::string, std::string>> merges;
  if (m.contains("merges")) {
    if (!m["merges"].is_array()) throw InputError(where + ".merges: expected a list");
    merges.reserve(m["merges"].size());
    for (size_t i = 0; i < m["merges"].size(); ++i) {
      const json& e = m["merges"][i];
      const std::string at = where + ".merges[" + std::to_string(i) + "]";
      if (e.is_string()) {
        const auto s = e.get<std::string>();
        const auto sp = s.find(' ');
        if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
          throw InputError(at + ": expected \"left right\" (one space), found '" + s + "'");
        merges.emplace_back(s.substr(0, sp), s.substr(sp + 1));
      } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
        merges.emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
      } else {
        throw InputError(at + ": expected \"left right\" or [\"left\", \"right\"], found " + e.dump().substr(0, 60));
      }
    }
  }
  return BpeModel(std::move(vocab), merges, std::move(o), where);
}

}  // namespace triage::data
