// Batching for training and eval: length-bucketed batches of Features, dynamically padded
// to their longest row, capped by a padded-token budget and a row count. The plan is a
// pure function of (lengths, options, seed, epoch), and sharding hands every rank the same
// number of batches while each feature lands on exactly one rank. Output is plain int64
// vectors so this library stays torch-free; train/ and serve/ wrap them as tensors.
#pragma once

#include <cstdint>
#include <vector>

#include "data/windows.h"

namespace triage::data {

struct BatchOptions {
  int64_t max_tokens = 8192;     // rows * padded length per batch; a longer single row
                                 // still gets a batch of its own
  int32_t max_batch_size = 32;   // rows per batch
  int32_t bucket_batches = 50;   // features are sorted by length within pools of
                                 // bucket_batches * max_batch_size shuffled features
  bool shuffle = true;           // false: one pool sorted by length, batches in order (eval)
  bool budget_padded = true;     // max_tokens counts rows * longest row; false: the rows' own
                                 // tokens (batches run without padding, run.packing)
};

// Batches as lists of feature indices. Deterministic: the same (lengths, options, seed,
// epoch) give the same plan on every platform (own splitmix64 RNG, no std::shuffle).
std::vector<std::vector<int32_t>> plan_batches(const std::vector<int32_t>& lengths,
                                               const BatchOptions& options, uint64_t seed,
                                               uint64_t epoch);

// Rank r of world_size takes batches r, r + world_size, ...; every rank gets
// ceil(batches / world_size) entries, the missing ones empty (zero rows), so all ranks run
// the same number of steps and each feature is visited exactly once per epoch. The
// trainer must treat an empty batch as a zero-gradient step.
std::vector<std::vector<int32_t>> shard_batches(const std::vector<std::vector<int32_t>>& plan,
                                                int32_t rank, int32_t world_size);

struct Batch {
  int64_t rows = 0;
  int64_t seq_len = 0;                 // the longest row; everything is padded to it
  std::vector<int64_t> input_ids;      // [rows, seq_len], pad_id after each row
  std::vector<int64_t> attention_mask; // [rows, seq_len], 1 on real tokens
  std::vector<int64_t> labels;         // [rows, seq_len], kIgnoreLabel on padding; empty
                                       // when the features are unlabelled
  std::vector<int64_t> intents;        // [rows], kIgnoreLabel when none
  std::vector<int32_t> features;       // [rows] index of each row's Feature
  int64_t real_tokens = 0;             // sum of row lengths
};

// Pads the listed features into one Batch (rows in the order given).
Batch collate(const std::vector<Feature>& features, const std::vector<int32_t>& indices,
              int32_t pad_id);

}  // namespace triage::data
