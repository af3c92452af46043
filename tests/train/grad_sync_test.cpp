// GradSync (train/grad_sync.h) in one process, against a fake communicator that records
// the bucket launches and "sums" with an identical peer (x2): launch order, overlap with
// backward, accumulation without synchronisation, untouched parameters left undefined.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "train/comm.h"
#include "train/grad_sync.h"

using namespace triage::train;

namespace {

class TwinComm : public Communicator {
 public:
  std::vector<int64_t> launched;  // sizes of the buckets, in launch order
  int rank() const override { return 0; }
  int world_size() const override { return 2; }
  std::string backend() const override { return "twin"; }
  void all_reduce_sum(std::vector<torch::Tensor>& ts, Timeout) override {
    for (auto& t : ts) t.mul_(2);
  }
  std::unique_ptr<PendingWork> all_reduce_sum_async(torch::Tensor& t) override {
    launched.push_back(t.numel());
    t.mul_(2);
    struct Done : PendingWork {
      void wait() override {}
    };
    return std::make_unique<Done>();
  }
  void broadcast(std::vector<torch::Tensor>&, int) override {}
  void barrier(Timeout) override {}
};

struct Net {
  torch::Tensor w1 = torch::randn({4, 3}).requires_grad_();
  torch::Tensor w2 = torch::randn({3, 2}).requires_grad_();
  torch::Tensor unused = torch::randn({5}).requires_grad_();
  std::vector<torch::Tensor> params() const { return {w1, w2, unused}; }
  torch::Tensor loss(const torch::Tensor& x) const { return x.mm(w1).tanh().mm(w2).pow(2).sum(); }
};

}  // namespace

TEST(GradSync, SumsInBucketOrderAndKeepsUntouchedUndefined) {
  torch::manual_seed(0);
  Net net;
  auto x = torch::randn({6, 4});
  net.loss(x).backward();
  const auto g1 = net.w1.grad().clone(), g2 = net.w2.grad().clone();
  net.w1.mutable_grad() = torch::Tensor();
  net.w2.mutable_grad() = torch::Tensor();

  TwinComm comm;
  GradSync sync(comm, net.params(), /*bucket_bytes=*/1, /*overlap=*/true);  // one bucket each
  ASSERT_EQ(sync.num_buckets(), 3u);
  sync.arm();
  net.loss(x).backward();
  // Buckets are in reverse parameter order: [unused], [w2], [w1]. `unused` never gets a
  // gradient, so nothing can launch before finish() (bucket 0 blocks the others).
  EXPECT_TRUE(comm.launched.empty());
  sync.finish();
  EXPECT_EQ(comm.launched, (std::vector<int64_t>{5 + 1, 6 + 1, 12 + 1}));
  EXPECT_TRUE(torch::equal(net.w1.grad(), g1 * 2));
  EXPECT_TRUE(torch::equal(net.w2.grad(), g2 * 2));
  EXPECT_FALSE(net.unused.grad().defined());
}

TEST(GradSync, LaunchesDuringBackwardAndOnlyWhenArmed) {
  torch::manual_seed(1);
  Net net;
  TwinComm comm;
  GradSync sync(comm, {net.w1, net.w2}, /*bucket_bytes=*/1, /*overlap=*/true);
  auto x = torch::randn({6, 4});
  net.loss(x).backward();  // an accumulation micro-batch: not armed, nothing launched
  EXPECT_TRUE(comm.launched.empty());
  const auto acc1 = net.w1.grad().clone();
  sync.arm();
  net.loss(x).backward();  // completes the step: both buckets go from the hooks
  EXPECT_EQ(comm.launched.size(), 2u);
  sync.finish();
  EXPECT_EQ(comm.launched.size(), 2u);
  EXPECT_TRUE(torch::allclose(net.w1.grad(), acc1 * 4));  // (g + g) summed with the twin

  // The next step starts clean: not armed until arm().
  net.w1.mutable_grad() = torch::Tensor();
  net.w2.mutable_grad() = torch::Tensor();
  comm.launched.clear();
  net.loss(x).backward();
  EXPECT_TRUE(comm.launched.empty());
}

TEST(GradSync, NoOverlapLaunchesEverythingInFinish) {
  torch::manual_seed(2);
  Net net;
  TwinComm comm;
  GradSync sync(comm, {net.w1, net.w2}, /*bucket_bytes=*/1 << 20, /*overlap=*/false);
  ASSERT_EQ(sync.num_buckets(), 1u);
  sync.arm();
  net.loss(torch::randn({3, 4})).backward();
  EXPECT_TRUE(comm.launched.empty());
  sync.finish();
  EXPECT_EQ(comm.launched, (std::vector<int64_t>{12 + 6 + 2}));
}

TEST(GradSync, EmptyStepSendsZerosWithoutFlags) {
  Net net;
  TwinComm comm;
  GradSync sync(comm, {net.w1, net.w2}, 1, true);
  sync.finish();  // a rank whose batch was empty: no backward at all
  EXPECT_EQ(comm.launched.size(), 2u);
  EXPECT_FALSE(net.w1.grad().defined());
  EXPECT_FALSE(net.w2.grad().defined());
}
