// prometheus-cpp families of triage-serve.
#include "serve/metrics.h"

#include <mutex>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "serve/errors.h"

namespace triage::serve {

using prometheus::Histogram;

namespace {
// Latencies from 50 us to 10 s; tokenization from 5 us.
const Histogram::BucketBoundaries kRequestBuckets{0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02,
                                                  0.03,   0.05,  0.075, 0.1,   0.2,   0.5,    1,    2,     5, 10};
const Histogram::BucketBoundaries kStageBuckets{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075,
                                                0.01,    0.015,  0.02,    0.03,   0.05,  0.075, 0.1,   0.2,   0.5, 1, 5};
const Histogram::BucketBoundaries kTokenizeBuckets{0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025,
                                                   0.0005,   0.001,   0.0025,   0.005,   0.01,   0.05};
const Histogram::BucketBoundaries kBatchSizeBuckets{1, 2, 4, 8, 16, 32, 64, 128, 256};
const Histogram::BucketBoundaries kBatchTokenBuckets{16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768};
}  // namespace

struct Metrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& requests =
      prometheus::BuildCounter().Name("triage_requests_total").Help("HTTP requests by endpoint and status code").Register(*registry);
  prometheus::Family<Histogram>& request_duration =
      prometheus::BuildHistogram()
          .Name("triage_request_duration_seconds")
          .Help("time from the request's arrival to its answer, by endpoint")
          .Register(*registry);
  Histogram& tokenize = prometheus::BuildHistogram()
                            .Name("triage_tokenize_duration_seconds")
                            .Help("parse-to-windows time of an inference request on its HTTP thread")
                            .Register(*registry)
                            .Add({}, kTokenizeBuckets);
  Histogram& queue = prometheus::BuildHistogram()
                         .Name("triage_queue_duration_seconds")
                         .Help("time an inference request waited in the batching queue")
                         .Register(*registry)
                         .Add({}, kStageBuckets);
  Histogram& inference = prometheus::BuildHistogram()
                             .Name("triage_inference_duration_seconds")
                             .Help("model time of one batch (forwards, merge, decode)")
                             .Register(*registry)
                             .Add({}, kStageBuckets);
  Histogram& batch_size = prometheus::BuildHistogram()
                              .Name("triage_batch_size")
                              .Help("windows (model inputs) per batch")
                              .Register(*registry)
                              .Add({}, kBatchSizeBuckets);
  Histogram& batch_tokens = prometheus::BuildHistogram()
                                .Name("triage_batch_tokens")
                                .Help("padded sub-words per batch (windows x longest window)")
                                .Register(*registry)
                                .Add({}, kBatchTokenBuckets);
  prometheus::Gauge& queue_depth = prometheus::BuildGauge()
                                       .Name("triage_queue_depth")
                                       .Help("inference requests waiting in the batching queue")
                                       .Register(*registry)
                                       .Add({});
  prometheus::Family<prometheus::Gauge>& model_info =
      prometheus::BuildGauge().Name("triage_model_info").Help("1 for the model being served").Register(*registry);
  prometheus::Family<prometheus::Counter>& routes =
      prometheus::BuildCounter().Name("triage_route_decisions_total").Help("/v1/route answers by queue").Register(*registry);
  prometheus::Family<prometheus::Counter>& abstentions =
      prometheus::BuildCounter()
          .Name("triage_abstentions_total")
          .Help("/v1/route answers sent to the fallback queue, by reason")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& failures =
      prometheus::BuildCounter().Name("triage_failures_total").Help("failures by reason").Register(*registry);
  prometheus::Family<prometheus::Counter>& review_written = prometheus::BuildCounter()
                                                                .Name("triage_review_written_total")
                                                                .Help("tasks appended to the review file")
                                                                .Register(*registry);
  prometheus::Family<prometheus::Counter>& review_dropped = prometheus::BuildCounter()
                                                                .Name("triage_review_dropped_total")
                                                                .Help("review tasks not written, by reason")
                                                                .Register(*registry);
  std::mutex model_mu;
  prometheus::Gauge* model_gauge = nullptr;
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {
  for (const auto r : failure_labels()) impl_->failures.Add({{"reason", std::string(r)}});
  for (const char* r : {"low_confidence", "low_margin", "low_entity_confidence"}) impl_->abstentions.Add({{"reason", r}});
  impl_->review_written.Add({});
  for (const char* r : {"queue_full", "write_error"}) impl_->review_dropped.Add({{"reason", r}});
}

Metrics::~Metrics() = default;

void Metrics::request(std::string_view endpoint, int code, double seconds) {
  const std::string ep(endpoint);
  impl_->requests.Add({{"endpoint", ep}, {"code", std::to_string(code)}}).Increment();
  impl_->request_duration.Add({{"endpoint", ep}}, kRequestBuckets).Observe(seconds);
}

void Metrics::tokenize(double s) { impl_->tokenize.Observe(s); }
void Metrics::queue(double s) { impl_->queue.Observe(s); }
void Metrics::inference(double s) { impl_->inference.Observe(s); }

void Metrics::batch(int64_t windows, int64_t padded_tokens) {
  impl_->batch_size.Observe(static_cast<double>(windows));
  impl_->batch_tokens.Observe(static_cast<double>(padded_tokens));
}

void Metrics::queue_depth(size_t depth) { impl_->queue_depth.Set(static_cast<double>(depth)); }

void Metrics::model_info(const std::string& name, const std::string& version, const std::string& device,
                         const std::string& precision) {
  std::lock_guard lk(impl_->model_mu);
  auto* next =
      &impl_->model_info.Add({{"name", name}, {"version", version}, {"device", device}, {"precision", precision}});
  if (impl_->model_gauge && impl_->model_gauge != next) impl_->model_info.Remove(impl_->model_gauge);
  impl_->model_gauge = next;
  next->Set(1);
}

void Metrics::route_decision(const std::string& queue) { impl_->routes.Add({{"queue", queue}}).Increment(); }

void Metrics::abstention(const std::string& route_reason) {
  impl_->abstentions.Add({{"reason", route_reason.substr(0, route_reason.find(':'))}}).Increment();
}

void Metrics::failure(Reason reason) {
  const auto label = reason_info(reason).metric;
  if (!label.empty()) impl_->failures.Add({{"reason", std::string(label)}}).Increment();
}

void Metrics::review_written() { impl_->review_written.Add({}).Increment(); }
void Metrics::review_dropped(const std::string& reason) { impl_->review_dropped.Add({{"reason", reason}}).Increment(); }

std::string Metrics::text() const { return prometheus::TextSerializer().Serialize(impl_->registry->Collect()); }

}  // namespace triage::serve
