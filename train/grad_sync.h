// Data-parallel gradient averaging: parameters are grouped into flat buckets of about
// dist.bucket_mb (in reverse registration order, roughly the order backward produces their
// gradients); a post-accumulate-grad hook on every parameter counts arrivals, and a bucket
// whose gradients are all in is copied into its flat buffer and all-reduced asynchronously
// while backward goes on. Buckets are launched strictly in index order, so every rank
// issues the same collectives in the same order even when their graphs differ (a batch
// without intents leaves the intent head without a gradient; an empty batch runs no
// backward at all): whatever did not launch during backward launches in finish().
//
// The all-reduce is a SUM: the trainer scales each rank's loss by its share of the step's
// global token/utterance counts, so the sum is the gradient of the whole global batch.
// Each bucket carries one extra element per parameter (1 when this rank has a gradient),
// so a parameter that no rank touched keeps an undefined .grad, as in one process (AdamW
// then skips it, weight decay included).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <torch/types.h>

#include "train/comm.h"

namespace triage::train {

class GradSync {
 public:
  // params: the trainable parameters, all on the communicator's device, fp32. overlap
  // false: nothing is launched from hooks (all buckets go in finish(); for measurement).
  GradSync(Communicator& comm, std::vector<torch::Tensor> params, int64_t bucket_bytes, bool overlap);
  ~GradSync();
  GradSync(const GradSync&) = delete;
  GradSync& operator=(const GradSync&) = delete;

  // Call before the backward pass that completes this rank's gradients of the step (the
  // last non-empty micro-batch); earlier micro-batches accumulate locally, unsynchronised.
  void arm();
  // After that backward (or without one, when this rank's step was empty): launches what
  // is left, waits for every bucket and writes the sums into .grad.
  void finish();
  size_t num_buckets() const { return buckets_.size(); }

 private:
  struct Bucket {
    std::vector<size_t> params;   // indices into params_
    std::vector<int64_t> offsets; // element offset of each parameter in flat
    int64_t numel = 0;            // gradient elements; flat has numel + params.size()
    torch::Tensor flat;           // [numel + params.size()]
    int pending = 0;              // gradients still to arrive in this backward
    std::unique_ptr<PendingWork> work;
  };
  class Hook;
  void on_ready(size_t param);
  void launch_in_order_locked(bool all);
  void launch_locked(Bucket& b);

  Communicator& comm_;
  std::vector<torch::Tensor> params_;
  std::vector<size_t> bucket_of_;  // param -> bucket
  std::vector<bool> arrived_;
  std::vector<Bucket> buckets_;
  size_t next_launch_ = 0;
  bool armed_ = false, overlap_;
  std::mutex mu_;
};

}  // namespace triage::train
