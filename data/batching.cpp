// Length-bucketed, sharded batching (see batching.h).
#include "data/batching.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace triage::data {

namespace {

struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return next() % n; }  // bias is irrelevant here
};

template <class T>
void shuffle(std::vector<T>& v, SplitMix64& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(i)]);
}

}  // namespace

std::vector<std::vector<int32_t>> plan_batches(const std::vector<int32_t>& lengths,
                                               const BatchOptions& o, uint64_t seed,
                                               uint64_t epoch) {
  if (o.max_batch_size < 1 || o.max_tokens < 1 || o.bucket_batches < 1)
    throw InputError("batching: max_batch_size, max_tokens and bucket_batches must be >= 1");
  std::vector<int32_t> order(lengths.size());
  std::iota(order.begin(), order.end(), 0);
  SplitMix64 rng{seed * 0x9E3779B97F4A7C15ull ^ (epoch + 1) * 0xD1B54A32D192ED03ull};
  size_t pool = order.size();
  if (o.shuffle) {
    shuffle(order, rng);
    pool = static_cast<size_t>(o.bucket_batches) * static_cast<size_t>(o.max_batch_size);
  }
  std::vector<std::vector<int32_t>> batches;
  for (size_t p = 0; p < order.size(); p += pool) {
    auto b = order.begin() + static_cast<int64_t>(p);
    auto e = order.begin() + static_cast<int64_t>(std::min(order.size(), p + pool));
    // Longest first, stable, so the plan does not depend on the sort implementation.
    std::stable_sort(b, e, [&](int32_t x, int32_t y) { return lengths[x] > lengths[y]; });
    std::vector<int32_t> cur;
    int64_t longest = 0, real = 0;
    for (auto it = b; it != e; ++it) {
      const int64_t len = lengths[static_cast<size_t>(*it)];
      const int64_t cost = o.budget_padded ? std::max(longest, len) * static_cast<int64_t>(cur.size() + 1) : real + len;
      if (!cur.empty() && (static_cast<int32_t>(cur.size()) >= o.max_batch_size || cost > o.max_tokens)) {
        batches.push_back(std::move(cur));
        cur.clear();
        longest = real = 0;
      }
      cur.push_back(*it);
      longest = std::max(longest, len);
      real += len;
    }
    if (!cur.empty()) batches.push_back(std::move(cur));
  }
  if (o.shuffle) shuffle(batches, rng);
  return batches;
}

std::vector<std::vector<int32_t>> shard_batches(const std::vector<std::vector<int32_t>>& plan,
                                                int32_t rank, int32_t world_size) {
  if (world_size < 1 || rank < 0 || rank >= world_size)
    throw InputError("batching: rank " + std::to_string(rank) + " is outside world size " +
                     std::to_string(world_size));
  const size_t per_rank = (plan.size() + static_cast<size_t>(world_size) - 1) / static_cast<size_t>(world_size);
  std::vector<std::vector<int32_t>> out(per_rank);
  for (size_t k = 0; k < per_rank; ++k) {
    const size_t i = k * static_cast<size_t>(world_size) + static_cast<size_t>(rank);
    if (i < plan.size()) out[k] = plan[i];
  }
  return out;
}

Batch collate(const std::vector<Feature>& features, const std::vector<int32_t>& indices,
              int32_t pad_id) {
  Batch b;
  b.rows = static_cast<int64_t>(indices.size());
  bool labelled = !indices.empty();
  for (int32_t i : indices) {
    const Feature& f = features.at(static_cast<size_t>(i));
    b.seq_len = std::max<int64_t>(b.seq_len, f.size());
    labelled = labelled && !f.labels.empty();
  }
  const size_t cells = static_cast<size_t>(b.rows * b.seq_len);
  b.input_ids.assign(cells, pad_id);
  b.attention_mask.assign(cells, 0);
  if (labelled) b.labels.assign(cells, kIgnoreLabel);
  for (int64_t r = 0; r < b.rows; ++r) {
    const int32_t i = indices[static_cast<size_t>(r)];
    const Feature& f = features[static_cast<size_t>(i)];
    const size_t row = static_cast<size_t>(r * b.seq_len);
    std::copy(f.input_ids.begin(), f.input_ids.end(), b.input_ids.begin() + static_cast<int64_t>(row));
    std::fill_n(b.attention_mask.begin() + static_cast<int64_t>(row), f.size(), 1);
    if (labelled)
      std::copy(f.labels.begin(), f.labels.end(), b.labels.begin() + static_cast<int64_t>(row));
    b.intents.push_back(f.intent);
    b.features.push_back(i);
    b.real_tokens += f.size();
  }
  return b;
}

}  // namespace triage::data
