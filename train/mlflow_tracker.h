// MLflow tracking (track.mlflow_uri, issue 19): triage-train's params (the resolved config,
// flattened to dotted keys), its metrics per step (every numeric field of the train and eval
// records, as TensorBoard gets them), the final test metrics and tags (the best checkpoint's
// path) sent to an MLflow tracking server through its REST API (/api/2.0/mlflow/...: the
// experiment by name, created when missing; a run; log-batch; update at the end), over libcurl.
// A worker thread sends them: the training loop only queues. Every call is tried 3 times
// (0.5 s, then 1 s apart, 5 s timeout each); what still fails is dropped and counted, and
// logged once, and training goes on - a tracking server that is down never stops a run.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace triage::train {

struct MlflowSettings {
  std::string uri;                 // http(s)://host:port of the tracking server
  std::string experiment = "triage";
  std::string run_name;
};

class MlflowTracker {
 public:
  explicit MlflowTracker(MlflowSettings settings);
  ~MlflowTracker();  // finish("KILLED") unless finished
  MlflowTracker(const MlflowTracker&) = delete;
  MlflowTracker& operator=(const MlflowTracker&) = delete;

  void params(const std::vector<std::pair<std::string, std::string>>& kv);
  void metric(const std::string& key, double value, int64_t step);
  void tag(const std::string& key, const std::string& value);
  // Sends what is queued, marks the run FINISHED (FAILED, KILLED) and stops the worker.
  void finish(const std::string& status = "FINISHED");
  std::string run_id() const;
  int64_t failed_calls() const;

 private:
  struct Op {
    enum Kind { param, metric, tag, end } kind;
    std::string key, value;
    double number = 0;
    int64_t step = 0, time_ms = 0;
  };
  void run();
  bool ensure_run();
  bool call(const std::string& path, const nlohmann::json& body, nlohmann::json* answer, bool get = false);
  void flush(std::vector<Op>& ops);
  MlflowSettings s_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Op> q_;
  bool stop_ = false, finished_ = false, warned_ = false;
  std::string run_id_;
  int64_t failed_ = 0;
  std::thread thread_;
};

// The resolved config's YAML flattened to ("section.key", value) pairs (lists as YAML flow).
std::vector<std::pair<std::string, std::string>> flatten_yaml(const std::string& yaml);

}  // namespace triage::train
