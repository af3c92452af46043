// The review queue's writer (see review_queue.h).
#include "serve/review_queue.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "core/log.h"

namespace triage::serve {

ReviewQueue::ReviewQueue(const ServeConfig::Review& settings, std::function<void()> written,
                         std::function<void(const std::string&)> dropped)
    : s_(settings),
      written_(std::move(written)),
      dropped_(std::move(dropped)),
      rng_(static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) | 1) {
  fd_ = ::open(s_.file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw InputError("review.file: " + s_.file + ": cannot open for appending: " + std::strerror(errno));
  struct stat st{};
  if (::fstat(fd_, &st) == 0) size_ = st.st_size;
  thread_ = std::thread([this] { run(); });
}

ReviewQueue::~ReviewQueue() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (fd_ >= 0) ::close(fd_);
}

bool ReviewQueue::wanted(double intent_confidence, double lowest_entity_score, const char** reason) {
  const char* why = nullptr;
  if (intent_confidence < s_.intent_threshold) why = "low_intent_confidence";
  else if (lowest_entity_score < s_.entity_threshold) why = "low_entity_confidence";
  else if (s_.sample_rate > 0) {
    std::lock_guard lk(mu_);
    rng_ ^= rng_ << 13, rng_ ^= rng_ >> 7, rng_ ^= rng_ << 17;  // xorshift64
    if (static_cast<double>(rng_ >> 11) * 0x1.0p-53 < s_.sample_rate) why = "sample";
  }
  if (reason) *reason = why;
  return why != nullptr;
}

bool ReviewQueue::offer(std::string task) {
  {
    std::lock_guard lk(mu_);
    if (static_cast<int64_t>(q_.size()) >= s_.queue_size) {
      dropped_("queue_full");
      return false;
    }
    q_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

void ReviewQueue::run() {
  std::unique_lock lk(mu_);
  while (true) {
    cv_.wait(lk, [&] { return stop_ || !q_.empty(); });
    if (q_.empty() && stop_) return;
    std::string line = std::move(q_.front());
    q_.pop_front();
    lk.unlock();
    line += '\n';
    write(line);
    lk.lock();
  }
}

void ReviewQueue::write(const std::string& line) {
  if (size_ > 0 && size_ + static_cast<int64_t>(line.size()) > s_.max_bytes) rotate();
  const ssize_t n = fd_ >= 0 ? ::write(fd_, line.data(), line.size()) : -1;
  if (n == static_cast<ssize_t>(line.size())) {
    size_ += n;
    written_();
    return;
  }
  const std::string error = n < 0 ? std::strerror(errno) : "short write";
  if (n > 0) {  // never leave half a task: cut the file back to where it was
    if (::ftruncate(fd_, size_) != 0) size_ += n;
  }
  dropped_("write_error");
  if (error != last_error_) log::warn("review.file: " + s_.file + ": a task could not be written (" + error + "); serving goes on");
  last_error_ = error;
}

void ReviewQueue::rotate() {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (s_.keep_files == 0) {
    if (::ftruncate(fd_, 0) == 0) size_ = 0;
    return;
  }
  for (int64_t k = s_.keep_files; k >= 1; --k) {
    const fs::path from = k == 1 ? fs::path(s_.file) : fs::path(s_.file + "." + std::to_string(k - 1));
    if (fs::exists(from, ec)) fs::rename(from, s_.file + "." + std::to_string(k), ec);
  }
  const int fd = ::open(s_.file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;  // keep appending to the renamed file; the next write retries
  ::close(fd_);
  fd_ = fd;
  size_ = 0;
}

}  // namespace triage::serve
