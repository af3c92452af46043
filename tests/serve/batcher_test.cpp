// The batching loop with a fake model: batch formation by size and token budget, groups,
// the max_delay policy, deadlines (504 without computing) and the queue bound.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <set>

#include "serve/batcher.h"

using namespace triage::serve;
using namespace std::chrono_literals;

namespace {

struct FakeJob : Job {
  int value = 0;
  int result = 0;
  bool computed = false;
};

// Records every batch; can block the loop until released.
struct FakeModel {
  std::mutex mu;
  std::vector<std::vector<int>> batches;  // values per batch
  std::promise<void> gate;
  std::shared_future<void> gate_f = gate.get_future().share();
  bool blocking = false;
  std::atomic<int> entered{0};
  bool throw_next = false;

  Batcher::RunFn fn() {
    return [this](const std::vector<Job*>& batch) {
      ++entered;
      if (blocking) gate_f.wait();
      std::vector<int> values;
      for (Job* j : batch) {
        auto* f = static_cast<FakeJob*>(j);
        f->result = f->value * 2;
        f->computed = true;
        values.push_back(f->value);
      }
      std::lock_guard lk(mu);
      batches.push_back(values);
      if (throw_next) {
        throw_next = false;
        throw std::runtime_error("model exploded");
      }
    };
  }
};

std::shared_ptr<FakeJob> job(int value, int rows = 1, int len = 10) {
  auto j = std::make_shared<FakeJob>();
  j->value = value;
  j->rows = rows;
  j->max_len = len;
  return j;
}

BatcherOptions opts(int32_t size, int64_t tokens, int delay_ms = 0, size_t queue = 100) {
  BatcherOptions o;
  o.max_size = size;
  o.max_tokens = tokens;
  o.max_delay = std::chrono::milliseconds(delay_ms);
  o.max_queue = queue;
  return o;
}

void wait_entered(FakeModel& m, int n) {
  for (int i = 0; i < 5000 && m.entered < n; ++i) std::this_thread::sleep_for(1ms);
  ASSERT_GE(m.entered.load(), n);
}

}  // namespace

TEST(Batcher, ComputesAndAnswers) {
  FakeModel m;
  Batcher b(opts(4, 1000), m.fn());
  b.start();
  auto j = job(21);
  ASSERT_EQ(b.submit(j), Batcher::Submit::queued);
  EXPECT_EQ(b.await(j), JobStatus::done);
  EXPECT_EQ(j->result, 42);
  EXPECT_LE(j->enqueued, j->started);
  EXPECT_LE(j->started, j->finished);
}

// While the loop is busy, queued jobs accumulate; the next batches are cut by max_size
// (rows = windows) and max_tokens (rows x longest window), in arrival order.
TEST(Batcher, FormsBatchesBySizeAndTokens) {
  FakeModel m;
  m.blocking = true;
  Batcher b(opts(4, 100), m.fn());
  b.start();
  auto first = job(0);
  b.submit(first);
  wait_entered(m, 1);  // the loop is now busy with job 0
  std::vector<std::shared_ptr<FakeJob>> jobs;
  // rows: 1,1,1,1 | 2,1 (len 30: 3 rows x 30 = 90 <= 100; the next, len 40, would make 160) | 1 (len 40) 2 (len 40) | 5 (alone, over max_size)
  const int rows[] = {1, 1, 1, 1, 2, 1, 1, 2, 5};
  const int lens[] = {10, 10, 10, 10, 30, 30, 40, 40, 10};
  for (int i = 0; i < 9; ++i) {
    jobs.push_back(job(i + 1, rows[i], lens[i]));
    ASSERT_EQ(b.submit(jobs.back()), Batcher::Submit::queued);
  }
  EXPECT_EQ(b.depth(), 9u);
  m.gate.set_value();
  for (auto& j : jobs) EXPECT_EQ(b.await(j), JobStatus::done);
  std::lock_guard lk(m.mu);
  const std::vector<std::vector<int>> expected = {{0}, {1, 2, 3, 4}, {5, 6}, {7}, {8}, {9}};
  EXPECT_EQ(m.batches, expected);
}

TEST(Batcher, GroupsNeverShareABatch) {
  FakeModel m;
  m.blocking = true;
  Batcher b(opts(32, 100000), m.fn());
  b.start();
  b.submit(job(0));
  wait_entered(m, 1);
  int g1 = 0, g2 = 0;
  std::vector<std::shared_ptr<FakeJob>> jobs;
  for (int i = 1; i <= 4; ++i) {
    jobs.push_back(job(i));
    jobs.back()->group = i <= 2 ? &g1 : &g2;
    b.submit(jobs.back());
  }
  m.gate.set_value();
  for (auto& j : jobs) b.await(j);
  std::lock_guard lk(m.mu);
  const std::vector<std::vector<int>> expected = {{0}, {1, 2}, {3, 4}};
  EXPECT_EQ(m.batches, expected);
}

// A lone request on an idle loop is dispatched at once, even with a long max_delay.
TEST(Batcher, IdleLoopDoesNotWaitForMaxDelay) {
  FakeModel m;
  Batcher b(opts(32, 100000, /*delay_ms=*/2000), m.fn());
  b.start();
  const auto t0 = Clock::now();
  auto j = job(1);
  b.submit(j);
  EXPECT_EQ(b.await(j), JobStatus::done);
  EXPECT_LT(Clock::now() - t0, 500ms);
}

// With a request still being tokenized, the loop waits (up to max_delay) to batch it.
TEST(Batcher, WaitsForRequestsBeingPrepared) {
  FakeModel m;
  Batcher b(opts(32, 100000, /*delay_ms=*/2000), m.fn());
  b.start();
  auto p1 = b.preparing();
  auto p2 = b.preparing();
  auto a = job(1), c = job(2);
  b.submit(a, &p1);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(a->status(), JobStatus::pending);  // held for the second one
  b.submit(c, &p2);
  EXPECT_EQ(b.await(a), JobStatus::done);
  EXPECT_EQ(b.await(c), JobStatus::done);
  std::lock_guard lk(m.mu);
  const std::vector<std::vector<int>> expected = {{1, 2}};
  EXPECT_EQ(m.batches, expected);
}

TEST(Batcher, MaxDelayBoundsTheWait) {
  FakeModel m;
  Batcher b(opts(32, 100000, /*delay_ms=*/30), m.fn());
  b.start();
  auto stuck = b.preparing();  // never submitted
  auto a = job(1);
  const auto t0 = Clock::now();
  b.submit(a);
  EXPECT_EQ(b.await(a), JobStatus::done);
  const auto waited = Clock::now() - t0;
  EXPECT_GE(waited, 25ms);
  EXPECT_LT(waited, 1000ms);
}

TEST(Batcher, PreparingEndedWithoutSubmitWakesTheLoop) {
  FakeModel m;
  Batcher b(opts(32, 100000, /*delay_ms=*/5000), m.fn());
  b.start();
  auto a = job(1);
  std::optional<Batcher::Preparing> p;
  p.emplace(b.preparing());
  b.submit(a);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(a->status(), JobStatus::pending);
  const auto t0 = Clock::now();
  p.reset();  // that request failed validation
  EXPECT_EQ(b.await(a), JobStatus::done);
  EXPECT_LT(Clock::now() - t0, 1000ms);
}

// A job whose deadline passes while queued is answered expired and never computed.
TEST(Batcher, DeadlineExpiresQueuedJobsWithoutComputing) {
  FakeModel m;
  m.blocking = true;
  std::atomic<int> expired{0};
  BatcherObserver ob;
  ob.on_expired = [&](const Job&) { ++expired; };
  Batcher b(opts(32, 100000), m.fn(), ob);
  b.start();
  auto busy = job(0);
  b.submit(busy);
  wait_entered(m, 1);
  auto late = job(1);
  late->deadline = Clock::now() + 30ms;
  auto patient = job(2);
  b.submit(late);
  b.submit(patient);
  const auto t0 = Clock::now();
  EXPECT_EQ(b.await(late), JobStatus::expired);  // answered at its deadline, loop still busy
  EXPECT_LT(Clock::now() - t0, 1000ms);
  EXPECT_FALSE(late->computed);
  EXPECT_EQ(b.depth(), 1u);
  m.gate.set_value();
  EXPECT_EQ(b.await(patient), JobStatus::done);
  EXPECT_TRUE(patient->computed);
  EXPECT_EQ(expired.load(), 1);
  std::lock_guard lk(m.mu);
  for (const auto& batch : m.batches)
    for (int v : batch) EXPECT_NE(v, 1);
}

TEST(Batcher, DeadlineAlreadyPassedAtSubmit) {
  FakeModel m;
  Batcher b(opts(32, 100000), m.fn());
  b.start();
  auto j = job(1);
  j->deadline = Clock::now() - 1ms;
  EXPECT_EQ(b.submit(j), Batcher::Submit::expired);
  EXPECT_EQ(j->status(), JobStatus::expired);
  EXPECT_FALSE(j->computed);
}

// A job a batch has already taken completes even if its deadline passes meanwhile.
TEST(Batcher, RunningJobsCompletePastTheirDeadline) {
  FakeModel m;
  m.blocking = true;
  Batcher b(opts(32, 100000), m.fn());
  b.start();
  auto j = job(1);
  j->deadline = Clock::now() + 20ms;
  b.submit(j);
  wait_entered(m, 1);
  std::thread release([&] {
    std::this_thread::sleep_for(60ms);
    m.gate.set_value();
  });
  EXPECT_EQ(b.await(j), JobStatus::done);
  EXPECT_TRUE(j->computed);
  release.join();
}

TEST(Batcher, QueueBound) {
  FakeModel m;
  m.blocking = true;
  Batcher b(opts(1, 100000, 0, /*queue=*/2), m.fn());
  b.start();
  auto busy = job(0);
  b.submit(busy);
  wait_entered(m, 1);
  auto a = job(1), c = job(2), d = job(3);
  EXPECT_EQ(b.submit(a), Batcher::Submit::queued);
  EXPECT_EQ(b.submit(c), Batcher::Submit::queued);
  EXPECT_EQ(b.submit(d), Batcher::Submit::queue_full);
  EXPECT_EQ(d->status(), JobStatus::pending);
  m.gate.set_value();
  EXPECT_EQ(b.await(a), JobStatus::done);
  EXPECT_EQ(b.await(c), JobStatus::done);
}

TEST(Batcher, RunnerFailureFailsTheBatchOnly) {
  FakeModel m;
  m.throw_next = true;
  Batcher b(opts(32, 100000), m.fn());
  b.start();
  auto a = job(1);
  b.submit(a);
  EXPECT_EQ(b.await(a), JobStatus::failed);
  EXPECT_EQ(a->error(), "model exploded");
  auto c = job(2);
  b.submit(c);
  EXPECT_EQ(b.await(c), JobStatus::done);
}

TEST(Batcher, StopDrainsOrCancels) {
  {
    FakeModel m;
    Batcher b(opts(1, 100000), m.fn());
    b.start();
    std::vector<std::shared_ptr<FakeJob>> jobs;
    for (int i = 0; i < 5; ++i) {
      jobs.push_back(job(i));
      b.submit(jobs.back());
    }
    b.stop(false);  // drains
    for (auto& j : jobs) EXPECT_EQ(j->status(), JobStatus::done);
    EXPECT_EQ(b.submit(job(9)), Batcher::Submit::stopped);
  }
  {
    FakeModel m;
    m.blocking = true;
    Batcher b(opts(1, 100000), m.fn());
    b.start();
    auto busy = job(0), queued = job(1);
    b.submit(busy);
    wait_entered(m, 1);
    b.submit(queued);
    std::thread stopper([&] { b.stop(true); });
    EXPECT_EQ(b.await(queued), JobStatus::cancelled);
    m.gate.set_value();
    stopper.join();
    EXPECT_EQ(busy->status(), JobStatus::done);
  }
}

TEST(Batcher, ManyThreadsEveryJobAnsweredOnce) {
  FakeModel m;
  std::atomic<int64_t> batches{0}, rows{0};
  BatcherObserver ob;
  ob.on_batch = [&](const BatchStats& s) {
    ++batches;
    rows += s.rows;
  };
  Batcher b(opts(8, 100000, 1), m.fn(), ob);
  b.start();
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto p = b.preparing();
        auto j = job(t * 1000 + i);
        if (b.submit(j, &p) == Batcher::Submit::queued && b.await(j) == JobStatus::done && j->result == j->value * 2) ++ok;
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), 1600);
  EXPECT_EQ(rows.load(), 1600);
  std::set<int> seen;
  std::lock_guard lk(m.mu);
  for (const auto& batch : m.batches) {
    EXPECT_LE(batch.size(), 8u);
    for (int v : batch) EXPECT_TRUE(seen.insert(v).second);
  }
}
