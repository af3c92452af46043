// Keys, help texts and range checks of ServeConfig.
#include "serve/serve_config.h"

#include "core/error.h"
#include "core/log.h"

namespace triage::serve {

void ServeConfig::register_fields(config::Schema& s) {
  s.add("model.dir", &model.dir, "checkpoint directory written by triage-train (required)");
  s.add("model.name", &model.name, "name in answers and metrics; \"\" = the directory's basename (its parent's for best/last)");
  s.add_enum("model.aggregation", &model.aggregation,
             {{"first", data::Aggregation::first}, {"average", data::Aggregation::average}, {"max", data::Aggregation::max}},
             "sub-word to word aggregation: first | average | max");
  s.add_enum("decode.mode", &decode.mode,
             {{"checkpoint", std::nullopt}, {"greedy", data::DecodeMode::greedy},
              {"constrained", data::DecodeMode::constrained}, {"crf", data::DecodeMode::crf}},
             "word tags: checkpoint (triage.json's decode_mode, else crf with a CRF head, else greedy) | greedy | "
             "constrained (valid BIO sequences) | crf (a CRF head's best valid sequence; a checkpoint without one is "
             "refused)");
  s.add("routing.file", &routing.file, "routing rules YAML; \"\" = the queue is the intent label");
  s.add_enum("routing.explain", &routing.explain, {{"request", ExplainSetting::request}, {"always", ExplainSetting::always}},
             "route.explain in /v1/route answers: request (when the request says \"explain\": true) | always");
  s.add("http.host", &http.host, "bind address");
  s.add("http.port", &http.port, "TCP port; 0 = an ephemeral port (printed on the listening line)")
      .range(0, 65535);
  s.add("http.threads", &http.threads,
        "worker threads for complete requests (parse, validate, tokenize, wait for the batch); idle and slow "
        "connections hold none")
      .range(1, 1024);
  s.add("http.max_body_bytes", &http.max_body_bytes,
        "larger request bodies are answered 413 (a Content-Length over it before the body is read)")
      .range(1, static_cast<double>(int64_t{1} << 31));
  s.add("http.max_header_bytes", &http.max_header_bytes,
        "request line plus headers; a longer request line is answered 414, a longer head 431")
      .range(256, 1048576);
  s.add("http.header_timeout_s", &http.header_timeout_s,
        "the whole request head must arrive within this (from the accept, or from a keep-alive request's first "
        "byte); later: 408 and the connection closed")
      .range(1, 3600);
  s.add("http.body_timeout_s", &http.body_timeout_s,
        "the whole body must arrive within this once the head is in; later: 408 and the connection closed")
      .range(1, 3600);
  s.add("http.max_connections", &http.max_connections,
        "open connections; one more is answered 503 connection_limit and closed")
      .range(1, 1000000);
  s.add("http.keep_alive_s", &http.keep_alive_s, "idle keep-alive timeout in seconds")
      .range(0, 3600);
  s.add("http.keep_alive_requests", &http.keep_alive_requests, "requests per keep-alive connection before the server closes it")
      .range(1, 1000000000);
  s.add("http.listen_backlog", &http.listen_backlog, "pending connections the kernel queues before refusing new ones")
      .range(1, 65535);
  s.add("batch.max_size", &batch.max_size, "windows per forward batch")
      .range(1, 4096);
  s.add("batch.max_tokens", &batch.max_tokens, "padded sub-words per forward batch")
      .range(1, static_cast<double>(int64_t{1} << 24));
  s.add("batch.forward_tokens", &batch.forward_tokens,
        "a batch runs as forwards over its windows sorted by length, each of at most this many padded sub-words "
        "(less padding; a window longer than this still gets a forward of its own)")
      .range(1, static_cast<double>(int64_t{1} << 24));
  s.add("batch.max_delay_ms", &batch.max_delay_ms, "the longest the loop waits to fill a batch")
      .range(0, 10000);
  s.add("batch.max_queue", &batch.max_queue, "queued requests; beyond: 429 with Retry-After")
      .range(1, 1000000);
  s.add("runtime.intra_op_threads", &runtime.intra_op_threads, "torch intra-op threads for inference; 0 = torch default")
      .range(0, 1024);
  s.add("runtime.device", &runtime.device,
        "where the model runs: cpu, cuda or cuda:N (one process per GPU); cuda without a visible device is an "
        "error at start");
  s.add("runtime.packed_weights", &runtime.packed_weights,
        "CPU inference on weights prepacked once for oneDNN (false: torch's composite ops)");
  s.add("runtime.precision", &runtime.precision,
        "encoder arithmetic: auto (fp32 on the CPU, bf16 on CUDA); on CUDA fp32, bf16 or fp16 (weights cast, "
        "scores read in fp32); on the CPU's packed path fp32; bf16 (CPUs with native bf16 products, AVX512-BF16 or "
        "AMX; about 1.5x lower latency, bf16 rounding); int8 (8-bit weights and activations in the products, "
        "fbgemm; about 2x lower latency, entity F1 within about 0.5 points of fp32 on our test sets)")
      .choices({"fp32", "bf16", "int8"});
  s.add("limits.max_text_chars", &limits.max_text_chars, "code points per text or turn; beyond: 422 text_too_long")
      .range(1, static_cast<double>(int64_t{1} << 30));
  s.add("limits.max_subwords", &limits.max_subwords, "sub-words per request after tokenization; beyond: 422 unless truncate")
      .range(1, static_cast<double>(int64_t{1} << 24));
  s.add("limits.truncate", &limits.truncate, "cut to max_subwords instead of answering 422 (the answer says truncated)");
  s.add("limits.max_texts", &limits.max_texts, "texts per /v1/tag request; beyond: 422 too_many_texts")
      .range(1, 100000);
  s.add("limits.max_turns", &limits.max_turns, "turns per /v1/route request; beyond: 422 too_many_turns")
      .range(1, 100000);
  s.add("request.default_deadline_ms", &request.default_deadline_ms, "deadline when a request gives none; 0 = none")
      .range(0, 86400000);
  s.add("shutdown.drain_timeout_s", &shutdown.drain_timeout_s, "after SIGTERM, the longest to wait for in-flight work")
      .range(0, 86400);
  s.add_enum("log.format", &log.format, {{"text", LogFormat::text}, {"json", LogFormat::json}}, "text | json (JSON lines)");
  s.add_enum("log.level", &log.level,
             {{"debug", triage::log::Level::debug}, {"info", triage::log::Level::info},
              {"warn", triage::log::Level::warn}, {"error", triage::log::Level::error}},
             "debug | info | warn | error");
  s.add("log.requests", &log.requests, "one log line per request (id, endpoint, code, ms, queue, masked entities)");
  s.add("log.sensitive_labels", &log.sensitive_labels, "entity labels whose text is masked (\"***\") in logs and replaced by [LABEL] in redacted_text (\"redact\": true)");
  s.add("review.file", &review.file,
        "review queue: append Label Studio tasks (with the model's predictions) of uncertain and sampled messages "
        "to this JSONL file; \"\" = off");
  s.add("review.intent_threshold", &review.intent_threshold, "review a message whose intent confidence is below this")
      .range(0, 1);
  s.add("review.entity_threshold", &review.entity_threshold, "review a message with an entity scored below this")
      .range(0, 1);
  s.add("review.sample_rate", &review.sample_rate, "and this fraction of the other messages, at random")
      .range(0, 1);
  s.add("review.max_bytes", &review.max_bytes, "rotate the review file to FILE.1 beyond this size")
      .range(1024, static_cast<double>(int64_t{1} << 40));
  s.add("review.keep_files", &review.keep_files, "rotated review files kept (FILE.1 ... FILE.N)")
      .range(0, 1000);
  s.add("review.queue_size", &review.queue_size, "tasks waiting for the review writer; beyond: dropped (counted)")
      .range(1, 1 << 24);
  s.add("review.redact", &review.redact, "write the text of log.sensitive_labels' entities as [LABEL] in review tasks");
  s.add("admin.token_env", &admin.token_env, "environment variable holding the admin token; unset or empty: /admin/reload answers 403");
}

void ServeConfig::validate(bool require_model) const {
  if (require_model && model.dir.empty())
    throw InputError("model.dir: required (a checkpoint directory, e.g. --model runs/quickstart/model/best)");
  if (http.host.empty()) throw InputError("http.host: expected a bind address, found \"\"");
  // runtime.device / runtime.precision need torch to check (a visible GPU, what the device
  // runs): model::place_for_inference at the first load, before the server listens.
  if (admin.token_env.empty()) throw InputError("admin.token_env: expected an environment variable name, found \"\"");
}

}  // namespace triage::serve
