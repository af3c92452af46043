// Every model load of triage-serve (the first and every reload, HTTP or SIGHUP) runs on this
// one long-lived thread. glibc gives each thread that allocates its own malloc arena and
// keeps freed memory in it: loads made on whichever HTTP thread took the request left one
// model's worth (about 95 MB for MiniLM) in a new arena per reload, so resident memory grew
// by that much with every reload. On one thread, a load reuses what the previous snapshot
// freed. Torch-free.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

namespace triage::serve {

class ModelLoader {
 public:
  // on_start runs first on the thread (torch thread settings).
  explicit ModelLoader(std::function<void()> on_start = {});
  ~ModelLoader();
  ModelLoader(const ModelLoader&) = delete;
  ModelLoader& operator=(const ModelLoader&) = delete;

  // Runs work on the loader thread and waits for it; its exception is rethrown here.
  void run(const std::function<void()>& work);

 private:
  void loop();
  std::function<void()> on_start_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::packaged_task<void()>> tasks_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace triage::serve
