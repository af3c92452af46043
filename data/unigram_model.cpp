// The tokenizer.json Unigram model (see unigram_model.h), after tokenizers'
// models/unigram/model.rs (encode_optimized, tokenize).
#include "data/unigram_model.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/json_stage.h"
#include "data/piece_cache.h"
#include "data/utf8.h"

namespace triage::data {

UnigramModel::UnigramModel(std::vector<std::pair<std::string, double>> vocab, int32_t unk_id, bool byte_fallback,
                           const std::string& where)
    : vocab_(std::move(vocab)), unk_id_(unk_id), byte_fallback_(byte_fallback), where_(where),
      instance_(PieceCache::new_instance()) {
  if (unk_id_ >= 0 && vocab_.empty()) throw InputError(where + ".vocab: empty, but unk_id needs a token");
  if (unk_id_ >= static_cast<int32_t>(vocab_.size()))
    throw InputError(where + ".unk_id: " + std::to_string(unk_id_) + " is outside the vocabulary of " +
                     std::to_string(vocab_.size()) + " tokens");
  double min_score = std::numeric_limits<double>::infinity();
  for (const auto& [token, score] : vocab_) min_score = std::min(min_score, score);
  for (int32_t id = static_cast<int32_t>(vocab_.size()) - 1; id >= 0; --id)  // the last id wins
    ids_.insert(vocab_[static_cast<size_t>(id)].first, id);
  // the trie, breadth first: sort the tokens, then each node's range of them splits by the
  // byte at its depth
  std::vector<int32_t> order;
  for (int32_t id = 0; id < static_cast<int32_t>(vocab_.size()); ++id)
    if (!vocab_[static_cast<size_t>(id)].first.empty() && ids_.find(vocab_[static_cast<size_t>(id)].first) == id)
      order.push_back(id);
  std::sort(order.begin(), order.end(), [&](int32_t x, int32_t y) {
    return vocab_[static_cast<size_t>(x)].first < vocab_[static_cast<size_t>(y)].first;
  });
  struct Pending {
    size_t lo, hi, depth;  // tokens order[lo, hi) share the node's depth-byte prefix
  };
  std::vector<Pending> queue{{0, order.size(), 0}};
  nodes_.push_back({0, 0, -1});
  for (size_t q = 0; q < queue.size(); ++q) {
    auto [lo, hi, depth] = queue[q];
    const auto tok = [&](size_t i) -> const std::string& { return vocab_[static_cast<size_t>(order[i])].first; };
    if (lo < hi && tok(lo).size() == depth) nodes_[q].value = order[lo++];  // sorted: the token itself first
    nodes_[q].first = static_cast<uint32_t>(edge_byte_.size());
    for (size_t i = lo; i < hi;) {
      const auto b = static_cast<uint8_t>(tok(i)[depth]);
      size_t j = i + 1;
      while (j < hi && static_cast<uint8_t>(tok(j)[depth]) == b) ++j;
      edge_byte_.push_back(b);
      edge_child_.push_back(static_cast<uint32_t>(queue.size()));
      queue.push_back({i, j, depth + 1});
      nodes_.push_back({0, 0, -1});
      i = j;
    }
    nodes_[q].count = static_cast<uint32_t>(edge_byte_.size()) - nodes_[q].first;
  }
  unk_score_ = min_score - 10.0;
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    byte_ids_[b] = ids_.find(name);
  }
}

std::unique_ptr<UnigramModel> UnigramModel::from_json(const nlohmann::json& m, const std::string& where) {
  json_stage::check_keys(m, where, {"unk_id", "vocab", "byte_fallback"});
  int32_t unk_id = -1;
  if (m.contains("unk_id") && !m["unk_id"].is_null()) {
    const auto& u = m["unk_id"];
    if (!u.is_number_unsigned()) throw InputError(where + ".unk_id: expected a non-negative integer or null, found " + u.dump());
    if (u.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int32_t>::max()))
      throw InputError(where + ".unk_id: " + u.dump() + " is too large");
    unk_id = static_cast<int32_t>(u.get<uint64_t>());
  }
  const bool byte_fallback = json_stage::get_bool(m, "byte_fallback", false, where);
  const auto& v = json_stage::require(m, "vocab", where);
  if (!v.is_array()) json_stage::array_expected(where + ".vocab");
  std::vector<std::pair<std::string, double>> vocab;
  vocab.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const auto& e = v[i];
    if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_number())
      throw InputError(where + ".vocab[" + std::to_string(i) + "]: expected [token, score], found " +
                       e.dump().substr(0, 80));
    std::string token = e[0].get<std::string>();
    if (!utf8::valid(token)) throw InputError(where + ".vocab[" + std::to_string(i) + "]: token is not valid UTF-8");
    vocab.emplace_back(std::move(token), e[1].get<double>());
  }
  return std::make_unique<UnigramModel>(std::move(vocab), unk_id, byte_fallback, where);
}

void UnigramModel::tokenize(std::string_view piece, std::vector<PieceToken>& out) const {
  if (piece.empty()) return;
  PieceCache& cache = PieceCache::for_thread(instance_);
  if (cache.find(piece, out)) return;
  const size_t first = out.size();
  segment(piece, out);
  cache.store(piece, out, first);
}

void UnigramModel::segment(std::string_view piece, std::vector<PieceToken>& out) const {
  struct Best {
    double score = 0;
    int32_t id = 0;
    int32_t from = -1;  // byte where the best path's last token starts, -1: none yet
  };
  thread_local std::vector<Best> best;
  thread_local std::vector<uint32_t> char_at;  // byte -> code point index, then the count
  const size_t size = piece.size();
  best.assign(size + 1, Best{});
  char_at.assign(size + 1, 0);
  uint32_t chars = 0;
  for (size_t at = 0; at < size;) {
    const size_t mblen = utf8::sequence_length(static_cast<unsigned char>(piece[at]));
    char_at[at] = chars++;
    const double here = best[at].score;
    bool single = false;
    const auto offer = [&](size_t end, int32_t id, double score) {
      Best& t = best[end];
      if (t.from < 0 || score + here > t.score) t = {score + here, id, static_cast<int32_t>(at)};
    };
    // every token that starts here, shortest first, as the trie yields them
    uint32_t node = 0;
    for (size_t end = at; end < size;) {
      const Node& n = nodes_[node];
      const uint8_t* bytes = edge_byte_.data() + n.first;
      const auto b = static_cast<uint8_t>(piece[end]);
      const uint8_t* hit = std::lower_bound(bytes, bytes + n.count, b);
      if (hit == bytes + n.count || *hit != b) break;
      node = edge_child_[n.first + static_cast<uint32_t>(hit - bytes)];
      ++end;
      const int32_t id = nodes_[node].value;
      if (id >= 0) {
        offer(end, id, vocab_[static_cast<size_t>(id)].second);
        single = single || end == at + mblen;
      }
    }
    if (!single) {
      if (unk_id_ < 0)
        throw InputError(where_ + ": '" + std::string(piece.substr(at, mblen)) +
                         "' is in no token and the model has no unk_id");
      offer(at + mblen, unk_id_, unk_score_);
    }
    at += mblen;
  }
  char_at[size] = chars;
  // back from the end; consecutive unknowns become one string, looked up again as tokenizers
  // does (a fused string may be a token; else byte fallback or unk)
  thread_local std::vector<std::pair<uint32_t, uint32_t>> spans;  // byte ranges, last first
  spans.clear();
  for (size_t end = size; end > 0;) {
    const Best& n = best[end];
    const size_t from = static_cast<size_t>(n.from);
    spans.emplace_back(static_cast<uint32_t>(from), static_cast<uint32_t>(end));
    end = from;
  }
  // in text order, consecutive unknowns fused
  for (size_t k = spans.size(); k-- > 0;) {
    auto [b, e] = spans[k];
    const bool unk = best[e].id == unk_id_;
    if (unk)
      while (k > 0 && best[spans[k - 1].second].id == unk_id_) e = spans[--k].second;
    const std::string_view s = piece.substr(b, e - b);
    const uint32_t cb = char_at[b], ce = char_at[e];
    int32_t id = unk ? ids_.find(s) : best[e].id;
    if (id < 0 && byte_fallback_ &&
        std::all_of(s.begin(), s.end(), [&](char c) { return byte_ids_[static_cast<unsigned char>(c)] >= 0; })) {
      for (unsigned char c : s) out.push_back({byte_ids_[c], cb, ce});
      continue;
    }
    if (id < 0) id = unk_id_;
    out.push_back({id, cb, ce});
  }
}

}  // namespace triage::data
