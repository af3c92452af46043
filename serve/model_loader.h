// Every model load of triage-serve (the first and every reload, HTTP or SIGHUP) runs on this
// one long-lived thread, and every retired snapshot is freed on it. glibc gives each thread
// that allocates its own malloc arena and keeps freed memory in it: loads made on whichever
// HTTP thread took the request left one model's worth (about 95 MB for MiniLM) in a new
// arena per reload, so resident memory grew by that much with every reload. On one thread, a
// load reuses what the previous snapshot freed; after freeing one, malloc_trim returns the
// free pages of every arena to the system (what the allocator keeps after glibc's dynamic
// mmap threshold has moved large tensors onto the heap). Torch-free.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
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

  // `loaded` (made on the loader thread), owned so that when its last user lets it go (the
  // swap of a reload, or the last batch that used it) it is freed on the loader thread and
  // then the freed pages are returned to the system. After the loader stops, inline.
  template <class T>
  std::shared_ptr<const T> retire_here(std::shared_ptr<const T> loaded) {
    const T* raw = loaded.get();
    auto state = state_;
    return std::shared_ptr<const T>(raw, [state, keep = std::move(loaded)](const T*) mutable {
      auto owned = std::make_shared<std::shared_ptr<const T>>(std::move(keep));
      release(state, [owned] { owned->reset(); });
    });
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::packaged_task<void()>> tasks;
    bool stop = false;
  };
  // Queues free_it (then a malloc_trim) on the loader thread; runs both inline once it stopped.
  static void release(const std::shared_ptr<State>& state, std::function<void()> free_it);
  void loop();
  std::function<void()> on_start_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
  std::thread thread_;
};

}  // namespace triage::serve
