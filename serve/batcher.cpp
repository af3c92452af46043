// The batching loop (see batcher.h for the policy).
#include "serve/batcher.h"

#include <algorithm>
#include <exception>

namespace triage::serve {

JobStatus Job::status() const {
  std::lock_guard lk(mu_);
  return status_;
}

std::string Job::error() const {
  std::lock_guard lk(mu_);
  return error_;
}

bool Job::wait_until(Clock::time_point t) const {
  std::unique_lock lk(mu_);
  return cv_.wait_until(lk, t, [&] { return status_ != JobStatus::pending; });
}

void Job::wait() const {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return status_ != JobStatus::pending; });
}

void Job::finish(JobStatus status, std::string error) {
  {
    std::lock_guard lk(mu_);
    if (status_ != JobStatus::pending) return;
    finished = Clock::now();
    status_ = status;
    error_ = std::move(error);
  }
  cv_.notify_all();
}

Batcher::Batcher(BatcherOptions options, RunFn run, BatcherObserver observer)
    : options_(options), run_(std::move(run)), observer_(std::move(observer)) {
  options_.max_size = std::max<int32_t>(1, options_.max_size);
  options_.max_tokens = std::max<int64_t>(1, options_.max_tokens);
  options_.max_queue = std::max<size_t>(1, options_.max_queue);
}

Batcher::~Batcher() { stop(true); }

void Batcher::start() {
  std::lock_guard lk(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { loop(); });
}

Batcher::Preparing::~Preparing() {
  if (!b_) return;
  bool wake;
  {
    std::lock_guard lk(b_->mu_);
    wake = --b_->preparing_ == 0 && !b_->queue_.empty();
  }
  if (wake) b_->cv_.notify_one();
}

Batcher::Preparing Batcher::preparing() {
  std::lock_guard lk(mu_);
  ++preparing_;
  return Preparing(this);
}

Batcher::Submit Batcher::submit(std::shared_ptr<Job> job, Preparing* preparing) {
  {
    std::lock_guard lk(mu_);
    if (preparing && preparing->b_ == this) {
      --preparing_;
      preparing->b_ = nullptr;
    }
    if (stopping_) return Submit::stopped;
    const auto now = Clock::now();
    if (job->deadline && *job->deadline <= now) {
      job->enqueued = now;
      if (observer_.on_expired) observer_.on_expired(*job);
      job->finish(JobStatus::expired);
      return Submit::expired;
    }
    if (queue_.size() >= options_.max_queue) return Submit::queue_full;
    job->enqueued = now;
    job->queued_ = true;
    queue_.push_back(std::move(job));
    if (observer_.on_depth) observer_.on_depth(queue_.size());
  }
  cv_.notify_one();
  return Submit::queued;
}

JobStatus Batcher::await(const std::shared_ptr<Job>& job) {
  if (job->deadline && !job->wait_until(*job->deadline)) cancel_if_queued(job);
  job->wait();
  return job->status();
}

bool Batcher::cancel_if_queued(const std::shared_ptr<Job>& job) {
  std::lock_guard lk(mu_);
  if (!job->queued_) return false;
  auto it = std::find(queue_.begin(), queue_.end(), job);
  if (it == queue_.end()) return false;
  if (observer_.on_expired) observer_.on_expired(*job);
  remove_locked(static_cast<size_t>(it - queue_.begin()), JobStatus::expired);
  return true;
}

void Batcher::remove_locked(size_t index, JobStatus status) {
  auto job = std::move(queue_[index]);
  queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(index));
  job->queued_ = false;
  job->finish(status);
  if (observer_.on_depth) observer_.on_depth(queue_.size());
}

void Batcher::stop(bool fail_pending) {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    if (fail_pending)
      while (!queue_.empty()) remove_locked(0, JobStatus::cancelled);
  }
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

size_t Batcher::depth() const {
  std::lock_guard lk(mu_);
  return queue_.size();
}

Batcher::Plan Batcher::plan_locked() const {
  Plan p;
  const void* group = queue_.front()->group;
  for (const auto& j : queue_) {
    if (j->group != group) {
      p.full = true;
      break;
    }
    const int32_t rows = p.rows + std::max(1, j->rows);
    const int32_t len = std::max(p.max_len, j->max_len);
    if (p.jobs > 0 && (rows > options_.max_size || int64_t{rows} * len > options_.max_tokens)) {
      p.full = true;
      break;
    }
    p.rows = rows;
    p.max_len = len;
    ++p.jobs;
    if (p.rows >= options_.max_size || int64_t{p.rows} * p.max_len >= options_.max_tokens) {
      p.full = true;
      break;
    }
  }
  return p;
}

void Batcher::expire_locked(Clock::time_point now) {
  for (size_t i = 0; i < queue_.size();) {
    const auto& j = queue_[i];
    if (j->deadline && *j->deadline <= now) {
      if (observer_.on_expired) observer_.on_expired(*j);
      remove_locked(i, JobStatus::expired);
    } else {
      ++i;
    }
  }
}

void Batcher::loop() {
  if (observer_.on_loop_start) observer_.on_loop_start();
  std::unique_lock lk(mu_);
  std::vector<std::shared_ptr<Job>> batch;
  std::vector<Job*> raw;
  for (;;) {
    if (queue_.empty()) {
      if (stopping_) return;
      cv_.wait(lk);
      continue;
    }
    const auto now = Clock::now();
    expire_locked(now);
    if (queue_.empty()) continue;
    const Plan plan = plan_locked();
    const auto dispatch_at = queue_.front()->enqueued + options_.max_delay;
    if (!plan.full && preparing_ > 0 && now < dispatch_at && !stopping_) {
      auto wake = dispatch_at;
      for (const auto& j : queue_)
        if (j->deadline) wake = std::min(wake, *j->deadline);
      cv_.wait_until(lk, wake);
      continue;
    }
    batch.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(plan.jobs));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(plan.jobs));
    for (auto& j : batch) {
      j->queued_ = false;
      j->started = now;
    }
    if (observer_.on_depth) observer_.on_depth(queue_.size());
    lk.unlock();

    raw.clear();
    for (auto& j : batch) {
      raw.push_back(j.get());
      if (observer_.on_started) observer_.on_started(*j);
    }
    const auto t0 = Clock::now();
    std::string error;
    bool ok = true;
    try {
      run_(raw);
    } catch (const std::exception& e) {
      ok = false;
      error = e.what();
    } catch (...) {
      ok = false;
      error = "unknown exception in the batch runner";
    }
    const auto t1 = Clock::now();
    // Metrics first, so that a client that has its answer also sees its batch counted.
    if (observer_.on_batch) {
      try {
        observer_.on_batch({batch.size(), plan.rows, int64_t{plan.rows} * plan.max_len,
                            std::chrono::duration<double>(t1 - t0).count()});
      } catch (...) {
      }
    }
    for (auto& j : batch) j->finish(ok ? JobStatus::done : JobStatus::failed, error);
    batch.clear();
    lk.lock();
  }
}

}  // namespace triage::serve
