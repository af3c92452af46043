// The model side of triage-serve: a ModelSnapshot is one loaded, validated and warmed-up
// checkpoint together with its routing rules, immutable once published (reload builds a
// new one and swaps the pointer). It prepares requests on HTTP threads (tokenize, limits,
// truncation, windows), runs batches on the batching loop thread (the only caller of the
// model) and turns results into the typed answers of response.h on HTTP threads. This
// header is torch-free; engine.cpp holds the torch side.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/decode.h"
#include "serve/batcher.h"
#include "serve/request.h"
#include "serve/response.h"
#include "serve/routing.h"
#include "serve/serve_config.h"

namespace triage::serve {

struct SnapshotOptions {
  std::string dir;            // checkpoint directory
  std::string name;           // "" = from the directory (see ServeConfig::Model::name)
  std::string routing_file;   // "" = RoutingRules::defaults()
  data::Aggregation aggregation = data::Aggregation::first;
  std::optional<data::DecodeMode> decode;  // unset: the checkpoint's decode_mode (triage.json), else greedy
  int64_t batch_max_size = 32;     // forward batches inside one run (a job over the limits)
  int64_t batch_max_tokens = 8192;
  int64_t forward_tokens = 256;    // padded sub-words per forward inside a batch
  bool warm_up = true;
  std::string device = "cpu";  // cpu | cuda | cuda:N (model/inference_device.h)
  bool packed_weights = true;  // CPU: model/packed_cpu.h
  std::string precision = "auto";  // model/inference_device.h (an InputError where the device can't)
};

struct PrepareLimits {
  int64_t max_subwords = 4096;  // per request
  bool truncate = false;
};

class ModelSnapshot;
class ReviewQueue;

// One request in the batching queue: its examples prepared by a snapshot, then its
// predictions. Created by ModelSnapshot::prepare_*.
class InferenceJob : public Job {
 public:
  ~InferenceJob() override;
  std::shared_ptr<const ModelSnapshot> snapshot;
  bool turns = false;        // a /v1/route request with turns
  bool truncated = false;
  int64_t subwords = 0;      // content sub-words of the request (after truncation)
  double tokenize_s = 0;     // time spent in prepare
  struct Data;               // examples, prepared windows, predictions (engine.cpp)
  std::unique_ptr<Data> data;
};

class ModelSnapshot : public std::enable_shared_from_this<ModelSnapshot> {
 public:
  // Loads the checkpoint and the routing rules, validates the rules against the model's
  // labels and warms up. Throws InputError (bad checkpoint, bad rules) or Error.
  static std::shared_ptr<const ModelSnapshot> load(const SnapshotOptions& options);
  ~ModelSnapshot();

  const ModelRef& ref() const { return ref_; }
  const std::string& dir() const { return dir_; }
  const std::string& architecture() const { return architecture_; }
  // Encoder arithmetic ("fp32", "bf16" or "int8") and whether the prepacked CPU path serves it.
  const std::string& precision() const { return precision_; }
  bool packed_weights() const { return packed_; }
  const std::string& device() const { return device_; }
  // How the encoder computes: the packed path, or composite ops and why (model/encoder.h).
  const std::string& compute_path() const { return compute_path_; }
  int64_t max_seq_len() const { return max_seq_len_; }
  int64_t stride() const { return stride_; }
  const std::vector<std::string>& entity_types() const { return entity_types_; }
  const std::vector<std::string>& intents() const { return intents_; }
  const RoutingRules& routing() const { return routing_; }

  // HTTP thread. Throws RequestError 422 text_too_long when the request has more than
  // max_subwords sub-words and truncation is off.
  std::shared_ptr<InferenceJob> prepare_route(RouteRequest& request, const PrepareLimits& limits) const;
  std::shared_ptr<InferenceJob> prepare_tag(TagRequest& request, const PrepareLimits& limits) const;

  // One forward per batch shape bucket the server meets (a short text alone, a full window
  // alone, a batch of medium ones). load() calls it; the server calls it again on the
  // batching loop's thread at start, since torch's thread pools warm up per calling thread.
  void warm_up() const;

  // Loop thread: computes every job of the batch (all prepared by this snapshot).
  void run(const std::vector<Job*>& batch) const;

  // HTTP thread, once the job is done: entities (offsets per text or turn), intent, route.
  // redact_labels (a request's "redact": true): also the texts with those labels' spans
  // replaced (serve/redact.h).
  // explain: route.explain too (RouteExplanation).
  RouteResponse route_response(const InferenceJob& job, const std::vector<std::string>* redact_labels = nullptr,
                               bool explain = false) const;
  TagResponse tag_response(const InferenceJob& job, const std::vector<std::string>* redact_labels = nullptr) const;
  // The review queue (review_queue.h): each message of a finished job the queue wants (low
  // confidence or sampled) offered as a Label Studio task with the predictions, its text and
  // spans redacted for redact_labels when given; data.triage_id is "<request id>-<index>".
  void offer_for_review(const InferenceJob& job, const std::string& request_id, ReviewQueue& queue,
                        const std::vector<std::string>* redact_labels) const;
  // GET /v1/info: this snapshot's model, labels and routing with the server's limits.
  InfoResponse info_response(const ServeConfig& config) const;

 private:
  ModelSnapshot();
  int64_t warm_batch_ = 8;
  std::shared_ptr<InferenceJob> prepare(std::vector<std::pair<std::string, std::string>>* turns,
                                        std::vector<std::string>* texts, const PrepareLimits& limits) const;
  ModelRef ref_;
  std::string dir_, architecture_, precision_ = "fp32", compute_path_, decode_mode_, device_ = "cpu";
  bool packed_ = false;
  int64_t max_seq_len_ = 0, stride_ = 0;
  std::vector<std::string> entity_types_, intents_;
  RoutingRules routing_ = RoutingRules::defaults();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Records torch's intra-op thread count for the batching loop (0 = torch default) and makes
// the calling thread single-threaded (see single_threaded_torch); call before load().
void configure_inference_threads(int64_t intra_op_threads);
// Run on the batching loop's thread before its first batch: its OpenMP team gets the
// configured size.
void init_loop_thread();
// Torch work on the calling thread (model loads and their warm-up outside the loop) runs on
// one thread, so the loop's team owns the process's only OpenMP workers. libgomp cuts its
// workers' spin-wait to almost nothing once a process has more workers than cores, and
// each of a forward's ~100 parallel regions then waits for a futex wake-up: a lone message
// took 5.9 ms instead of 2.7 on 2 cores when the main thread had a team of its own.
void single_threaded_torch();

// "" name: the directory's basename, its parent's when the basename is best or last.
std::string default_model_name(const std::string& dir);

}  // namespace triage::serve
