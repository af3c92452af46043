// MLflow REST tracking (see mlflow_tracker.h).
#include "train/mlflow_tracker.h"

#include <curl/curl.h>
#include <yaml-cpp/yaml.h>

#include <chrono>

#include "core/log.h"

namespace triage::train {

namespace {

using json = nlohmann::json;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

size_t collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

void flatten(const YAML::Node& node, const std::string& prefix, std::vector<std::pair<std::string, std::string>>& out) {
  if (node.IsMap()) {
    for (const auto& kv : node) flatten(kv.second, prefix.empty() ? kv.first.as<std::string>() : prefix + "." + kv.first.as<std::string>(), out);
    return;
  }
  YAML::Emitter e;
  e << YAML::Flow << node;
  out.emplace_back(prefix, node.IsScalar() ? node.as<std::string>() : std::string(e.c_str()));
}

}  // namespace

std::vector<std::pair<std::string, std::string>> flatten_yaml(const std::string& yaml) {
  std::vector<std::pair<std::string, std::string>> out;
  flatten(YAML::Load(yaml), "", out);
  return out;
}

MlflowTracker::MlflowTracker(MlflowSettings settings) : s_(std::move(settings)) {
  while (!s_.uri.empty() && s_.uri.back() == '/') s_.uri.pop_back();
  static const bool curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  (void)curl_ready;
  thread_ = std::thread([this] { run(); });
}

MlflowTracker::~MlflowTracker() { finish("KILLED"); }

void MlflowTracker::params(const std::vector<std::pair<std::string, std::string>>& kv) {
  std::lock_guard lk(mu_);
  for (const auto& [k, v] : kv) q_.push_back({Op::param, k, v.substr(0, 6000), 0, 0, 0});
  cv_.notify_one();
}

void MlflowTracker::metric(const std::string& key, double value, int64_t step) {
  std::lock_guard lk(mu_);
  q_.push_back({Op::metric, key, "", value, step, now_ms()});
  cv_.notify_one();
}

void MlflowTracker::tag(const std::string& key, const std::string& value) {
  std::lock_guard lk(mu_);
  q_.push_back({Op::tag, key, value, 0, 0, 0});
  cv_.notify_one();
}

void MlflowTracker::finish(const std::string& status) {
  {
    std::lock_guard lk(mu_);
    if (finished_) return;
    finished_ = true;
    q_.push_back({Op::end, "", status, 0, 0, now_ms()});
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();  // bounded: every call gives up after 3 tries of at most 5 s
}

std::string MlflowTracker::run_id() const {
  std::lock_guard lk(mu_);
  return run_id_;
}

int64_t MlflowTracker::failed_calls() const {
  std::lock_guard lk(mu_);
  return failed_;
}

bool MlflowTracker::call(const std::string& path, const json& body, json* answer, bool get) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (attempt) std::this_thread::sleep_for(std::chrono::milliseconds(500 * attempt));
    CURL* c = curl_easy_init();
    if (!c) continue;
    std::string url = s_.uri + path, payload = body.dump(), out;
    if (get) {
      std::string q;
      for (auto it = body.begin(); it != body.end(); ++it) {
        char* esc = curl_easy_escape(c, it.value().get<std::string>().c_str(), 0);
        q += (q.empty() ? "?" : "&") + it.key() + "=" + esc;
        curl_free(esc);
      }
      url += q;
    }
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    if (!get) curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    const CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    if (rc == CURLE_OK && status == 200) {
      if (answer) *answer = json::parse(out, nullptr, false);
      return true;
    }
    if (rc == CURLE_OK && status == 404 && answer) {  // e.g. RESOURCE_DOES_NOT_EXIST: an answer, not a failure
      *answer = json::parse(out, nullptr, false);
      return false;
    }
    if (attempt == 2) {
      std::lock_guard lk(mu_);
      ++failed_;
      if (!warned_)
        log::warn("MLflow tracking at " + s_.uri + " failed (" +
                  (rc != CURLE_OK ? std::string(curl_easy_strerror(rc)) : "HTTP " + std::to_string(status) + ": " + out.substr(0, 200)) +
                  "); training goes on, tracking calls that fail are dropped and counted");
      warned_ = true;
    }
  }
  return false;
}

bool MlflowTracker::ensure_run() {
  if (!run_id().empty()) return true;
  json got;
  std::string experiment_id;
  if (call("/api/2.0/mlflow/experiments/get-by-name", {{"experiment_name", s_.experiment}}, &got, true)) {
    experiment_id = got["experiment"].value("experiment_id", "");
  } else if (got.is_object() && got.value("error_code", "") == "RESOURCE_DOES_NOT_EXIST") {
    json created;
    if (call("/api/2.0/mlflow/experiments/create", {{"name", s_.experiment}}, &created))
      experiment_id = created.value("experiment_id", "");
  }
  if (experiment_id.empty()) return false;
  json run;
  json body = {{"experiment_id", experiment_id}, {"start_time", now_ms()},
               {"tags", {{{"key", "mlflow.source.name"}, {"value", "triage-train"}}}}};
  if (!s_.run_name.empty()) body["run_name"] = s_.run_name;
  if (!call("/api/2.0/mlflow/runs/create", body, &run)) return false;
  std::lock_guard lk(mu_);
  run_id_ = run["run"]["info"].value("run_id", "");
  return !run_id_.empty();
}

void MlflowTracker::flush(std::vector<Op>& ops) {
  if (ops.empty()) return;
  if (!ensure_run()) {
    std::lock_guard lk(mu_);
    ++failed_;  // the run could not be created: this batch is dropped
    ops.clear();
    return;
  }
  const std::string id = run_id();
  json metrics = json::array(), params = json::array(), tags = json::array();
  std::string end_status;
  int64_t end_time = 0;
  auto send = [&] {
    if (metrics.empty() && params.empty() && tags.empty()) return;
    call("/api/2.0/mlflow/runs/log-batch", {{"run_id", id}, {"metrics", metrics}, {"params", params}, {"tags", tags}}, nullptr);
    metrics = json::array(), params = json::array(), tags = json::array();
  };
  for (const auto& op : ops) {
    if (op.kind == Op::metric) metrics.push_back({{"key", op.key}, {"value", op.number}, {"timestamp", op.time_ms}, {"step", op.step}});
    if (op.kind == Op::param) params.push_back({{"key", op.key}, {"value", op.value}});
    if (op.kind == Op::tag) tags.push_back({{"key", op.key}, {"value", op.value}});
    if (op.kind == Op::end) end_status = op.value, end_time = op.time_ms;
    if (metrics.size() >= 1000 || params.size() >= 100 || tags.size() >= 100) send();
  }
  send();
  if (!end_status.empty())
    call("/api/2.0/mlflow/runs/update", {{"run_id", id}, {"status", end_status}, {"end_time", end_time}}, nullptr);
  ops.clear();
}

void MlflowTracker::run() {
  std::vector<Op> ops;
  std::unique_lock lk(mu_);
  while (true) {
    cv_.wait_for(lk, std::chrono::seconds(2), [&] { return stop_ || q_.size() >= 200; });
    while (!q_.empty()) {
      ops.push_back(std::move(q_.front()));
      q_.pop_front();
    }
    const bool last = stop_;
    lk.unlock();
    flush(ops);
    lk.lock();
    if (last && q_.empty()) break;
  }
}

}  // namespace triage::train
