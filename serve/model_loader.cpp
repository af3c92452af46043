// The model-loading thread (see model_loader.h).
#include "serve/model_loader.h"

namespace triage::serve {

ModelLoader::ModelLoader(std::function<void()> on_start)
    : on_start_(std::move(on_start)), thread_([this] { loop(); }) {}

ModelLoader::~ModelLoader() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ModelLoader::run(const std::function<void()>& work) {
  std::packaged_task<void()> task(work);
  auto done = task.get_future();
  {
    std::lock_guard lk(mu_);
    tasks_.push_back(std::move(task));
  }
  cv_.notify_all();
  done.get();
}

void ModelLoader::loop() {
  if (on_start_) on_start_();
  for (;;) {
    std::packaged_task<void()> task;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return stop_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace triage::serve
