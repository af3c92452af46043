// The model-loading thread (see model_loader.h).
#include "serve/model_loader.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace triage::serve {

namespace {

void return_free_pages() {
#if defined(__GLIBC__)
  ::malloc_trim(0);
#endif
}

}  // namespace

ModelLoader::ModelLoader(std::function<void()> on_start)
    : on_start_(std::move(on_start)), thread_([this] { loop(); }) {}

ModelLoader::~ModelLoader() {
  {
    std::lock_guard lk(state_->mu);
    state_->stop = true;
  }
  state_->cv.notify_all();
  thread_.join();
}

void ModelLoader::run(const std::function<void()>& work) {
  std::packaged_task<void()> task(work);
  auto done = task.get_future();
  {
    std::lock_guard lk(state_->mu);
    state_->tasks.push_back(std::move(task));
  }
  state_->cv.notify_all();
  done.get();
}

void ModelLoader::release(const std::shared_ptr<State>& state, std::function<void()> free_it) {
  {
    std::lock_guard lk(state->mu);
    if (!state->stop) {
      state->tasks.emplace_back([f = std::move(free_it)] {
        f();
        return_free_pages();
      });
      state->cv.notify_all();
      return;
    }
  }
  free_it();
}

void ModelLoader::loop() {
  if (on_start_) on_start_();
  for (;;) {
    std::packaged_task<void()> task;
    {
      std::unique_lock lk(state_->mu);
      state_->cv.wait(lk, [&] { return state_->stop || !state_->tasks.empty(); });
      if (state_->tasks.empty()) return;
      task = std::move(state_->tasks.front());
      state_->tasks.pop_front();
    }
    task();
  }
}

}  // namespace triage::serve
