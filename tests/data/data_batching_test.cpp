// Batching: token budget and row cap, length bucketing, determinism for (seed, epoch), and
// sharding where every rank gets the same number of steps and each feature is visited
// exactly once per epoch across ranks.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "core/error.h"
#include "data/batching.h"

namespace triage::data {
namespace {

std::vector<int32_t> random_lengths(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<int32_t> v(n);
  for (auto& x : v) x = 3 + static_cast<int32_t>(rng() % 120);
  return v;
}

TEST(Batching, BudgetAndCapHold) {
  const auto lengths = random_lengths(5000, 1);
  BatchOptions o;
  o.max_tokens = 1024;
  o.max_batch_size = 16;
  auto plan = plan_batches(lengths, o, 42, 0);
  std::vector<int> seen(lengths.size(), 0);
  for (const auto& b : plan) {
    ASSERT_FALSE(b.empty());
    int32_t longest = 0;
    for (int32_t i : b) longest = std::max(longest, lengths[static_cast<size_t>(i)]), ++seen[static_cast<size_t>(i)];
    EXPECT_LE(static_cast<int64_t>(b.size()), o.max_batch_size);
    EXPECT_LE(static_cast<int64_t>(longest) * static_cast<int64_t>(b.size()), o.max_tokens);
  }
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; }));
}

// run.packing: the budget counts the rows' own tokens, so batches hold more rows than the
// padded budget allows, and each stays within it.
TEST(Batching, RealTokenBudgetForUnpaddedBatches) {
  const auto lengths = random_lengths(5000, 2);
  BatchOptions o;
  o.max_tokens = 1024;
  o.max_batch_size = 64;
  o.bucket_batches = 1;  // random batches: padding would cost the most
  const auto padded = plan_batches(lengths, o, 42, 0);
  o.budget_padded = false;
  const auto real = plan_batches(lengths, o, 42, 0);
  size_t rows = 0;
  for (const auto& b : real) {
    int64_t sum = 0;
    for (int32_t i : b) sum += lengths[static_cast<size_t>(i)];
    EXPECT_TRUE(sum <= o.max_tokens || b.size() == 1u);
    rows += b.size();
  }
  EXPECT_EQ(rows, lengths.size());
  EXPECT_LT(real.size(), padded.size());
}

TEST(Batching, OversizedRowGetsItsOwnBatch) {
  BatchOptions o;
  o.max_tokens = 100;
  auto plan = plan_batches({500, 10, 10}, o, 0, 0);
  size_t found = 0;
  for (const auto& b : plan)
    if (std::find(b.begin(), b.end(), 0) != b.end()) found = b.size();
  EXPECT_EQ(found, 1u);
}

TEST(Batching, BucketingKeepsPaddingLow) {
  const auto lengths = random_lengths(20000, 2);
  BatchOptions o;
  o.max_tokens = 4096;
  o.max_batch_size = 32;
  int64_t padded = 0, real = 0;
  for (const auto& b : plan_batches(lengths, o, 1, 0)) {
    int32_t longest = 0;
    for (int32_t i : b) longest = std::max(longest, lengths[static_cast<size_t>(i)]), real += lengths[static_cast<size_t>(i)];
    padded += static_cast<int64_t>(longest) * static_cast<int64_t>(b.size());
  }
  EXPECT_LT(static_cast<double>(padded) / static_cast<double>(real), 1.05);
}

TEST(Batching, DeterministicPerSeedAndEpoch) {
  const auto lengths = random_lengths(3000, 3);
  BatchOptions o;
  EXPECT_EQ(plan_batches(lengths, o, 5, 2), plan_batches(lengths, o, 5, 2));
  EXPECT_NE(plan_batches(lengths, o, 5, 2), plan_batches(lengths, o, 5, 3));
  EXPECT_NE(plan_batches(lengths, o, 5, 2), plan_batches(lengths, o, 6, 2));
  o.shuffle = false;  // eval: sorted, independent of seed and epoch
  EXPECT_EQ(plan_batches(lengths, o, 5, 2), plan_batches(lengths, o, 9, 0));
}

TEST(Batching, ShardsVisitEveryFeatureExactlyOncePerEpoch) {
  for (size_t n : {1u, 7u, 100u, 2501u}) {
    const auto lengths = random_lengths(n, static_cast<uint32_t>(n));
    BatchOptions o;
    o.max_tokens = 512;
    o.max_batch_size = 8;
    for (int32_t world : {1, 2, 3, 4, 8}) {
      for (uint64_t epoch : {0u, 1u}) {
        const auto plan = plan_batches(lengths, o, 11, epoch);
        std::vector<int> seen(n, 0);
        size_t steps = 0;
        for (int32_t rank = 0; rank < world; ++rank) {
          const auto mine = shard_batches(plan, rank, world);
          if (rank == 0) steps = mine.size();
          EXPECT_EQ(mine.size(), steps) << "every rank runs the same number of steps";
          for (const auto& b : mine)
            for (int32_t i : b) ++seen[static_cast<size_t>(i)];
        }
        EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; }))
            << "n=" << n << " world=" << world << " epoch=" << epoch;
      }
    }
  }
  EXPECT_THROW(shard_batches({}, 2, 2), InputError);
}

TEST(Batching, CollatePadsDynamically) {
  std::vector<Feature> f(3);
  f[0].input_ids = {2, 10, 3};
  f[0].labels = {-100, 1, -100};
  f[0].intent = 4;
  f[1].input_ids = {2, 10, 11, 12, 3};
  f[1].labels = {-100, 0, 1, 2, -100};
  f[1].intent = -100;
  Batch b = collate(f, {1, 0}, 0);
  EXPECT_EQ(b.rows, 2);
  EXPECT_EQ(b.seq_len, 5);
  EXPECT_EQ(b.input_ids, (std::vector<int64_t>{2, 10, 11, 12, 3, 2, 10, 3, 0, 0}));
  EXPECT_EQ(b.attention_mask, (std::vector<int64_t>{1, 1, 1, 1, 1, 1, 1, 1, 0, 0}));
  EXPECT_EQ(b.labels, (std::vector<int64_t>{-100, 0, 1, 2, -100, -100, 1, -100, -100, -100}));
  EXPECT_EQ(b.intents, (std::vector<int64_t>{-100, 4}));
  EXPECT_EQ(b.features, (std::vector<int32_t>{1, 0}));
  EXPECT_EQ(b.real_tokens, 8);
  Batch empty = collate(f, {}, 0);
  EXPECT_EQ(empty.rows, 0);
  EXPECT_TRUE(empty.input_ids.empty());
}

}  // namespace
}  // namespace triage::data
