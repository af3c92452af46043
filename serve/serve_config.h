// triage-serve's configuration: one struct, each field with its default and a one-line help
// (registered in serve_config.cpp), layered defaults < YAML files < TRIAGE_SERVE_* environment
// < --set and the convenience flags. docs/serving.md lists every key. Torch-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config_schema.h"
#include "core/log.h"
#include "data/decode.h"

namespace triage::serve {

enum class LogFormat { text, json };
enum class ExplainSetting { request, always };  // routing.explain: route.explain when asked, or on every answer

struct ServeConfig {
  struct Model {
    std::string dir;                  // checkpoint directory (required)
    std::string name;                 // "" = the directory's basename (its parent's for best/last)
    data::Aggregation aggregation = data::Aggregation::first;
  } model;
  struct Decode {
    std::optional<data::DecodeMode> mode;  // nullopt ("checkpoint"): triage.json's decode_mode
  } decode;
  struct Routing {
    std::string file;  // routing rules YAML; "" = the queue is the intent label
    ExplainSetting explain = ExplainSetting::request;
  } routing;
  struct Http {
    std::string host = "127.0.0.1";
    int64_t port = 8080;               // 0 = ephemeral
    int64_t threads = 64;              // workers: parse, validate, tokenize, wait for the batch
    int64_t max_body_bytes = 1048576;  // larger: 413
    int64_t max_header_bytes = 8192;   // request line and headers; larger: 414 / 431
    int64_t header_timeout_s = 10;     // whole request head; later: 408, closed
    int64_t body_timeout_s = 10;       // whole body; later: 408, closed
    int64_t max_connections = 4096;    // open connections; beyond: 503, closed
    int64_t keep_alive_s = 5;
    int64_t keep_alive_requests = 100000;  // requests per keep-alive connection before it is closed
    int64_t listen_backlog = 1024;         // pending connections the kernel queues
  } http;
  struct Batch {
    int64_t max_size = 32;     // windows per forward batch
    int64_t max_tokens = 8192; // padded sub-words per forward batch
    int64_t forward_tokens = 256;   // a batch runs as length-sorted forwards of at most this many
    int64_t max_delay_ms = 2;  // longest wait to fill a batch
    int64_t max_queue = 256;   // queued requests; beyond: 429
  } batch;
  struct Runtime {
    int64_t intra_op_threads = 0;  // 0 = torch default
    std::string device = "cpu";    // cpu | cuda | cuda:N (model/inference_device.h)
    bool packed_weights = true;    // prepacked oneDNN weights on the CPU (model/packed_cpu.h)
    std::string precision = "auto";  // auto (CPU fp32, CUDA bf16) | fp32 | bf16 | int8 (CPU) | fp16 (CUDA)
  } runtime;
  struct Limits {
    int64_t max_text_chars = 100000;  // code points per text or turn
    int64_t max_subwords = 4096;      // sub-words per request
    bool truncate = false;            // cut to max_subwords instead of 422
    int64_t max_texts = 64;           // texts per /v1/tag request
    int64_t max_turns = 256;          // turns per /v1/route request
  } limits;
  struct Request {
    int64_t default_deadline_ms = 0;  // 0 = none
  } request;
  struct Shutdown {
    int64_t drain_timeout_s = 30;
  } shutdown;
  struct Log {
    LogFormat format = LogFormat::text;
    triage::log::Level level = triage::log::Level::info;
    bool requests = true;         // one line per request
    std::vector<std::string> sensitive_labels{"email", "phone", "account_id", "person_name"};
  } log;
  struct Admin {
    std::string token_env = "TRIAGE_ADMIN_TOKEN";
  } admin;
  struct Review {  // the review queue (serve/review_queue.h); off while file is ""
    std::string file;
    double intent_threshold = 0.6;    // calibrated intent confidence below: written
    double entity_threshold = 0.6;    // any entity score below: written
    double sample_rate = 0.0;         // and this fraction of the rest, at random
    int64_t max_bytes = 64 << 20;     // rotate to file.1 (file.2, ...) beyond this
    int64_t keep_files = 3;           // rotated files kept
    int64_t queue_size = 1024;        // tasks waiting for the writer; beyond: dropped
    bool redact = true;               // log.sensitive_labels' text written as [LABEL]
  } review;

  void register_fields(config::Schema& schema);
  // The checks across keys (ranges and choices are declared on each key's registration
  // line); throws InputError naming the key, what was expected and what was found.
  // model.dir is checked only when require_model is set (--dump-config needs none).
  void validate(bool require_model) const;
};

}  // namespace triage::serve
