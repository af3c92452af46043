// The review queue (issue 19): Label Studio tasks, with the model's predictions, of the messages
// the model was unsure about (intent confidence or an entity's score below review.*_threshold)
// plus a random review.sample_rate of the others, appended to review.file as JSON lines that
// triage-data reads (--format labelstudio is a list; this file is JSONL of tasks: convert it or
// import it into Label Studio, which takes JSON lines of tasks). A writer thread owns the file:
// request threads only offer() lines to a bounded queue and never wait (a full queue drops the
// task, counted), each task is one write() on an O_APPEND descriptor (never interleaved), the
// file is rotated to FILE.1 ... FILE.keep_files past review.max_bytes, and a failed write (a
// full disk) counts triage_review_dropped_total{reason="write_error"}, is logged once per
// kind of error, and serving goes on.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "serve/serve_config.h"

namespace triage::serve {

class ReviewQueue {
 public:
  // written / dropped(reason) are called for each task (the server counts them in Metrics:
  // triage_review_written_total, triage_review_dropped_total{reason}). InputError naming
  // review.file when it cannot be opened for appending.
  ReviewQueue(const ServeConfig::Review& settings, std::function<void()> written,
              std::function<void(const std::string&)> dropped);
  ~ReviewQueue();  // writes what is queued, then stops
  ReviewQueue(const ReviewQueue&) = delete;
  ReviewQueue& operator=(const ReviewQueue&) = delete;

  // One task (a JSON object, no newline). False when dropped (queue full).
  bool offer(std::string task);
  // Whether a message with these scores goes to review (draws the sample at random).
  bool wanted(double intent_confidence, double lowest_entity_score, const char** reason);

 private:
  void run();
  void write(const std::string& line);
  void rotate();
  ServeConfig::Review s_;
  std::function<void()> written_;
  std::function<void(const std::string&)> dropped_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> q_;
  bool stop_ = false;
  int fd_ = -1;
  int64_t size_ = 0;
  std::string last_error_;
  uint64_t rng_;
  std::thread thread_;
};

}  // namespace triage::serve
