// Dynamic batching: HTTP threads submit prepared jobs, one loop thread forms batches and
// runs them (the only thread that calls the model), results go back through each job's
// own condition variable. Torch-free: what a job carries and how a batch runs are the
// caller's (serve/engine.h binds them to the Predictor; tests use fakes).
//
// Batch formation: jobs are taken in arrival order while their windows fit max_size and
// the padded tokens (rows x longest window) fit max_tokens; a job alone over the limits
// still runs by itself (the runner splits it into forwards). Jobs of different groups (two
// model snapshots around a reload) never share a batch. The loop dispatches at once when
// the batch is full, when nothing else is on its way (no request is being tokenized) or
// when the oldest job has waited max_delay; it waits (up to max_delay) only for requests
// that are already being tokenized, never for requests that have not arrived, so a lone
// request on an idle server is not delayed.
//
// Deadlines: a job whose deadline passes while queued is removed and finished `expired`
// without being computed (by the loop, or by await() on the requester's thread at the
// deadline, whichever comes first); once a batch has taken a job it completes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace triage::serve {

using Clock = std::chrono::steady_clock;

enum class JobStatus {
  pending,    // not finished yet
  done,       // computed
  expired,    // deadline passed while queued: never computed
  failed,     // the runner threw (error() says what)
  cancelled,  // the server stopped before the job ran
};

class Job {
 public:
  virtual ~Job() = default;

  // Set by the submitter before submit().
  int32_t rows = 1;        // windows (model inputs) this job adds to a batch
  int32_t max_len = 0;     // its longest window, special tokens included
  const void* group = nullptr;  // jobs batch together only within one group
  std::optional<Clock::time_point> deadline;

  // Set by the batcher: when it was queued, taken by a batch, and finished.
  Clock::time_point enqueued{}, started{}, finished{};

  JobStatus status() const;
  std::string error() const;
  // True once finished (false: timed out).
  bool wait_until(Clock::time_point t) const;
  void wait() const;

 private:
  friend class Batcher;
  void finish(JobStatus status, std::string error = {});
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  JobStatus status_ = JobStatus::pending;
  std::string error_;
  bool queued_ = false;  // guarded by the batcher's mutex
};

struct BatcherOptions {
  int32_t max_size = 32;       // windows per batch
  int64_t max_tokens = 8192;   // padded sub-words per batch
  std::chrono::microseconds max_delay{2000};
  size_t max_queue = 256;      // queued jobs; submit() answers queue_full beyond
};

struct BatchStats {
  size_t jobs = 0;
  int32_t rows = 0;
  int64_t padded_tokens = 0;  // rows x longest window
  double seconds = 0;         // run time
};

// Hooks for metrics and thread set-up; each may be empty. Called on the loop thread
// (on_expired also on a requester's thread; on_depth under the batcher's lock).
struct BatcherObserver {
  std::function<void()> on_loop_start;
  std::function<void(const Job&)> on_started;  // queue time = started - enqueued
  std::function<void(const BatchStats&)> on_batch;
  std::function<void(const Job&)> on_expired;
  std::function<void(size_t depth)> on_depth;
};

class Batcher {
 public:
  // Computes every job of a batch (each job's own result fields); an exception fails
  // every job of that batch with its message.
  using RunFn = std::function<void(const std::vector<Job*>& batch)>;

  Batcher(BatcherOptions options, RunFn run, BatcherObserver observer = {});
  ~Batcher();  // stop(true)
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  void start();  // starts the loop thread

  // Counts a request while it is being tokenized (the loop waits for those, see above).
  class Preparing {
   public:
    explicit Preparing(Batcher* b) : b_(b) {}
    Preparing(Preparing&& o) noexcept : b_(o.b_) { o.b_ = nullptr; }
    Preparing& operator=(Preparing&&) = delete;
    ~Preparing();

   private:
    friend class Batcher;
    Batcher* b_;
  };
  Preparing preparing();

  enum class Submit { queued, queue_full, expired, stopped };
  // Queues the job (ending its Preparing count, when given, under the same lock).
  Submit submit(std::shared_ptr<Job> job, Preparing* preparing = nullptr);
  // Waits for the job; at its deadline a job still queued is removed and finished expired.
  JobStatus await(const std::shared_ptr<Job>& job);
  // Removes a job that is still queued and finishes it expired; false when a batch has it.
  bool cancel_if_queued(const std::shared_ptr<Job>& job);

  // Stops the loop after the queue is empty (fail_pending: queued jobs finish cancelled
  // first). Later submits answer stopped. Idempotent; joins the loop thread.
  void stop(bool fail_pending);
  size_t depth() const;
  const BatcherOptions& options() const { return options_; }

 private:
  struct Plan {
    size_t jobs = 0;
    int32_t rows = 0;
    int32_t max_len = 0;
    bool full = false;
  };
  Plan plan_locked() const;
  void expire_locked(Clock::time_point now);
  void remove_locked(size_t index, JobStatus status);
  void loop();

  BatcherOptions options_;
  RunFn run_;
  BatcherObserver observer_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  int64_t preparing_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace triage::serve
