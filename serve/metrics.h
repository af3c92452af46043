// triage-serve's Prometheus metrics (prometheus-cpp registry, text format served on GET
// /metrics by the HTTP layer; prometheus-cpp's own exposer is not used). Names, labels and
// buckets are fixed here; docs/serving.md ("Metrics") lists them. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "serve/errors.h"

namespace triage::serve {

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // triage_requests_total{endpoint,code} and triage_request_duration_seconds{endpoint}.
  void request(std::string_view endpoint, int code, double seconds);
  void tokenize(double seconds);
  void queue(double seconds);
  void inference(double seconds);
  void batch(int64_t windows, int64_t padded_tokens);
  void queue_depth(size_t depth);
  // triage_model_info{name,version,device,precision} = 1 for the serving model (the previous one
  // removed).
  void model_info(const std::string& name, const std::string& version, const std::string& device,
                  const std::string& precision);
  void route_decision(const std::string& queue);
  // triage_abstentions_total{reason}: a /v1/route answer sent to the fallback queue, by the
  // kind of its reason (low_confidence, low_margin, low_entity_confidence; routing.h).
  void abstention(const std::string& route_reason);
  // triage_failures_total{reason}: the reason's failure label in the error table
  // (serve/errors.h); reasons without one (auth, not ready, draining) count nothing.
  void failure(Reason reason);
  // triage_review_written_total, triage_review_dropped_total{reason} (queue_full, write_error).
  void review_written();
  void review_dropped(const std::string& reason);

  std::string text() const;  // Prometheus text exposition format 0.0.4

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace triage::serve
