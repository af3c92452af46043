// Endpoints, errors, readiness, drain and reload of triage-serve (see server.h).
#include "serve/server.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdlib>
#include <functional>
#include <future>
#include <random>

#include "core/error.h"
#include "core/log.h"
#include "serve/batcher.h"
#include "serve/engine.h"
#include "serve/http_server.h"
#include "serve/metrics.h"
#include "serve/model_loader.h"
#include "serve/request.h"
#include "serve/response.h"
#include "serve/review_queue.h"

namespace triage::serve {

namespace {

enum class Endpoint { route, tag, healthz, readyz, metrics, info, reload };

struct EndpointInfo {
  const char* path;
  const char* method;
  Endpoint endpoint;
};

constexpr EndpointInfo kEndpoints[] = {
    {"/v1/route", "POST", Endpoint::route},   {"/v1/tag", "POST", Endpoint::tag},
    {"/healthz", "GET", Endpoint::healthz},   {"/readyz", "GET", Endpoint::readyz},
    {"/metrics", "GET", Endpoint::metrics},   {"/v1/info", "GET", Endpoint::info},
    {"/admin/reload", "POST", Endpoint::reload},
};

const EndpointInfo* find_endpoint(const std::string& path) {
  for (const auto& e : kEndpoints)
    if (path == e.path) return &e;
  return nullptr;
}

// The model loader thread's nice value (0 = the server's own priority, 19 = the lowest).
constexpr int kLoaderNice = 10;

double seconds_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

std::string generate_id() {
  static const std::string prefix = [] {
    std::random_device rd;
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", rd());
    return std::string(buf);
  }();
  static std::atomic<uint64_t> counter{0};
  return "req-" + prefix + "-" + std::to_string(++counter);
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i % (b.empty() ? 1 : b.size())]);
  return diff == 0 && !b.empty();
}

// Answers that are not errors of the table but still non-200 (/readyz 503).
struct StatusAnswer {
  int status;
  std::string body;
};

struct InternalError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace

struct Server::Impl {
  explicit Impl(ServeConfig c) : cfg(std::move(c)) {
    req_limits.max_text_chars = cfg.limits.max_text_chars;
    req_limits.max_texts = cfg.limits.max_texts;
    req_limits.max_turns = cfg.limits.max_turns;
    prep_limits.max_subwords = cfg.limits.max_subwords;
    prep_limits.truncate = cfg.limits.truncate;
    model_dir = cfg.model.dir;
    routing_file = cfg.routing.file;
    if (const char* t = std::getenv(cfg.admin.token_env.c_str())) admin_token = t;
    if (!cfg.review.file.empty())
      review = std::make_unique<ReviewQueue>(
          cfg.review, [this] { metrics.review_written(); }, [this](const std::string& r) { metrics.review_dropped(r); });
  }

  ServeConfig cfg;
  Metrics metrics;
  std::unique_ptr<ReviewQueue> review;  // review.file set
  std::unique_ptr<Batcher> batcher;
  std::unique_ptr<HttpServer> http;
  int port = -1;

  std::mutex snap_mu;
  std::shared_ptr<const ModelSnapshot> snap;
  std::atomic<bool> ready{false};
  std::atomic<bool> draining{false};
  std::atomic<int64_t> inflight{0};

  std::unique_ptr<ModelLoader> loader;  // every ModelSnapshot::load runs on its thread
  std::string admin_token;
  std::mutex reload_mu;  // held while a reload runs
  std::mutex paths_mu;   // model_dir, routing_file
  std::string model_dir, routing_file;
  std::mutex reload_thread_mu;
  std::thread reload_thread;
  std::atomic<bool> reload_thread_busy{false};

  RequestLimits req_limits;
  PrepareLimits prep_limits;

  std::shared_ptr<const ModelSnapshot> current() {
    std::lock_guard lk(snap_mu);
    return snap;
  }

  void publish(std::shared_ptr<const ModelSnapshot> s) {
    metrics.model_info(s->ref().name, s->ref().version, s->device(), s->precision());
    std::lock_guard lk(snap_mu);
    snap = std::move(s);
  }

  SnapshotOptions snapshot_options(const std::string& dir, const std::string& routing) const {
    SnapshotOptions o;
    o.dir = dir;
    o.name = cfg.model.name;
    o.routing_file = routing;
    o.aggregation = cfg.model.aggregation;
    o.decode = cfg.decode.mode;
    o.batch_max_size = cfg.batch.max_size;
    o.batch_max_tokens = cfg.batch.max_tokens;
    o.forward_tokens = cfg.batch.forward_tokens;
    o.device = cfg.runtime.device;
    o.packed_weights = cfg.runtime.packed_weights;
    o.precision = cfg.runtime.precision;
    return o;
  }

  // Loads on the loader thread; the snapshot is freed there too once its last user lets go.
  std::shared_ptr<const ModelSnapshot> load_snapshot(const std::string& dir, const std::string& routing) {
    std::shared_ptr<const ModelSnapshot> s;
    loader->run([&] { s = ModelSnapshot::load(snapshot_options(dir, routing)); });
    return loader->retire_here(std::move(s));
  }

  std::shared_ptr<const ModelSnapshot> reload(const ReloadRequest& rq);
  void handle(const HttpRequest& req, HttpResponse& res);
  void answer_http_error(const ApiError& error, const HttpRequest& req, HttpResponse& res);
  int dispatch(const EndpointInfo& ep, const HttpRequest& req, HttpResponse& res, std::string& id,
               Clock::time_point t0, log::Fields& fields);
  int infer(bool route, const std::string& body, HttpResponse& res, std::string& id, Clock::time_point t0,
            log::Fields& fields);
};

Server::Server(ServeConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Server::~Server() {
  if (impl_->http || impl_->batcher) drain_and_stop();
}

const std::string& Server::host() const { return impl_->cfg.http.host; }

void Server::load() {
  auto& m = *impl_;
  configure_inference_threads(m.cfg.runtime.intra_op_threads);
  m.loader = std::make_unique<ModelLoader>([] {
    single_threaded_torch();
    // A reload yields to serving: on a saturated machine it takes longer instead of taking
    // its CPU from the inference threads (the first load runs before there is traffic).
    if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kLoaderNice) != 0)
      log::warn("cannot lower the model loader's priority", {{"error", std::strerror(errno)}});
  });
  const auto t0 = Clock::now();
  auto s = m.load_snapshot(m.model_dir, m.routing_file);
  log::info("model loaded", {{"name", s->ref().name},
                             {"version", s->ref().version},
                             {"dir", s->dir()},
                             {"device", s->device()},
                             {"precision", s->precision()},
                             {"packed_weights", s->packed_weights() ? "true" : "false"},
                             {"compute_path", s->compute_path()},
                             {"routing", s->routing().source()},
                             {"rules", std::to_string(s->routing().rule_count())},
                             {"s", std::to_string(seconds_between(t0, Clock::now()))}});
  m.publish(std::move(s));
  BatcherOptions bo;
  bo.max_size = static_cast<int32_t>(m.cfg.batch.max_size);
  bo.max_tokens = m.cfg.batch.max_tokens;
  bo.max_delay = std::chrono::milliseconds(m.cfg.batch.max_delay_ms);
  bo.max_queue = static_cast<size_t>(m.cfg.batch.max_queue);
  BatcherObserver ob;
  // Readiness waits for a warm-up on the loop thread itself (per-thread torch pools).
  std::promise<void> loop_warm;
  auto loop_warm_done = loop_warm.get_future();
  ob.on_loop_start = [&m, &loop_warm] {
    try {
      init_loop_thread();
      m.current()->warm_up();
    } catch (const std::exception& e) {
      log::warn(std::string("warm-up on the batching loop failed: ") + e.what());
    }
    loop_warm.set_value();
  };
  ob.on_started = [&m](const Job& j) { m.metrics.queue(seconds_between(j.enqueued, j.started)); };
  ob.on_batch = [&m](const BatchStats& b) {
    m.metrics.inference(b.seconds);
    m.metrics.batch(b.rows, b.padded_tokens);
  };
  ob.on_depth = [&m](size_t d) { m.metrics.queue_depth(d); };
  m.batcher = std::make_unique<Batcher>(
      bo,
      [](const std::vector<Job*>& batch) {
        // Every job of a batch shares one group: the snapshot that prepared it.
        static_cast<InferenceJob*>(batch.front())->snapshot->run(batch);
      },
      std::move(ob));
  m.batcher->start();
  loop_warm_done.wait();
  m.ready = true;
}

int Server::listen() {
  auto& m = *impl_;
  const auto& h = m.cfg.http;
  HttpOptions o;
  o.host = h.host;
  o.port = static_cast<int>(h.port);
  o.worker_threads = static_cast<int>(h.threads);
  o.max_body_bytes = h.max_body_bytes;
  o.max_header_bytes = h.max_header_bytes;
  o.max_connections = h.max_connections;
  o.keep_alive_requests = h.keep_alive_requests;
  o.listen_backlog = static_cast<int>(h.listen_backlog);
  o.header_timeout = std::chrono::seconds(h.header_timeout_s);
  o.body_timeout = std::chrono::seconds(h.body_timeout_s);
  o.keep_alive = std::chrono::seconds(h.keep_alive_s);
  HttpHandlers handlers;
  handlers.request = [&m](const HttpRequest& req, HttpResponse& res) { m.handle(req, res); };
  handlers.run_inline = [](const HttpRequest& req) {
    const auto* ep = find_endpoint(req.path);
    return ep && (ep->endpoint == Endpoint::healthz || ep->endpoint == Endpoint::readyz);
  };
  handlers.error = [&m](const ApiError& e, const HttpRequest& req, HttpResponse& res) { m.answer_http_error(e, req, res); };
  m.http = std::make_unique<HttpServer>(std::move(o), std::move(handlers));
  m.port = m.http->bind();
  m.http->start();
  return m.port;
}

// Answers of the connection layer (framing, sizes, deadlines, the connection cap) get the
// contract's error body, count and log line.
void Server::Impl::answer_http_error(const ApiError& e, const HttpRequest& req, HttpResponse& res) {
  try {
    std::string id = req.header("X-Request-Id");
    if (!valid_request_id(id)) id = generate_id();
    res.status = e.status;
    res.set_content(error_json(e, id), "application/json");
    res.set_header("X-Request-Id", id);
    const auto* ep = find_endpoint(req.path);
    metrics.request(ep ? ep->path : "other", e.status, 0.0);
    metrics.failure(e.code);
    if (cfg.log.requests)
      log::info("request", {{"id", id}, {"method", req.method}, {"path", ep ? ep->path : "other"},
                            {"code", std::to_string(e.status)}, {"reason", std::string(e.reason())},
                            {"message", e.message}});
  } catch (...) {
  }
}

void Server::Impl::handle(const HttpRequest& req, HttpResponse& res) {
  const auto t0 = Clock::now();
  std::string id;
  int status = 500;
  ApiError err;
  bool failed = false;
  const EndpointInfo* ep = nullptr;
  log::Fields fields;
  try {
    id = req.header("X-Request-Id");
    if (!valid_request_id(id)) id.clear();
    ep = find_endpoint(req.path);
    if (!ep)
      throw RequestError(Reason::not_found, "no endpoint here (endpoints: POST /v1/route, POST /v1/tag, GET /healthz, GET /readyz, "
                         "GET /metrics, GET /v1/info, POST /admin/reload)");
    if (req.method != ep->method && !(req.method == "HEAD" && std::string_view(ep->method) == "GET")) {
      res.set_header("Allow", ep->method);
      throw RequestError(Reason::method_not_allowed, req.method + " " + ep->path + ": this endpoint takes " + ep->method);
    }
    status = dispatch(*ep, req, res, id, t0, fields);
  } catch (const RequestError& e) {
    err = e.error();
    status = err.status;
    failed = true;
    if (id.empty() && e.id()) id = *e.id();
  } catch (const std::exception& e) {
    err = ApiError(Reason::internal, "internal error; it is logged with this request id");
    status = 500;
    failed = true;
    fields.emplace_back("error", e.what());
  } catch (...) {
    err = ApiError(Reason::internal, "internal error; it is logged with this request id");
    status = 500;
    failed = true;
    fields.emplace_back("error", "unknown exception");
  }
  try {
    if (id.empty()) id = generate_id();
    if (failed) res.set_content(error_json(err, id), "application/json");
    res.status = status;
    res.set_header("X-Request-Id", id);
    const double secs = seconds_between(t0, Clock::now());
    const std::string endpoint = ep ? ep->path : "other";
    metrics.request(endpoint, status, secs);
    if (failed)
      metrics.failure(err.code);
    const bool quiet = ep && (ep->endpoint == Endpoint::healthz || ep->endpoint == Endpoint::readyz ||
                              ep->endpoint == Endpoint::metrics);
    if (status == 500) {
      fields.insert(fields.begin(), {{"id", id}, {"endpoint", endpoint}});
      log::error("internal error", fields);
    } else if (cfg.log.requests && (!quiet || log::enabled(log::Level::debug))) {
      log::Fields f{{"id", id}, {"method", req.method}, {"endpoint", endpoint}, {"code", std::to_string(status)},
                    {"ms", std::to_string(secs * 1e3)}};
      if (failed) f.emplace_back("reason", err.reason());
      for (auto& kv : fields) f.push_back(std::move(kv));
      log::write(quiet ? log::Level::debug : log::Level::info, "request", f);
    }
  } catch (...) {
    res.status = 500;
  }
}

int Server::Impl::dispatch(const EndpointInfo& ep, const HttpRequest& req, HttpResponse& res, std::string& id,
                           Clock::time_point t0, log::Fields& fields) {
  switch (ep.endpoint) {
    case Endpoint::route: return infer(true, req.body, res, id, t0, fields);
    case Endpoint::tag: return infer(false, req.body, res, id, t0, fields);
    case Endpoint::healthz: res.set_content(status_json("alive"), "application/json"); return 200;
    case Endpoint::readyz: {
      const char* s = draining ? "draining" : (ready ? "ready" : "loading");
      res.set_content(status_json(s), "application/json");
      return ready && !draining ? 200 : 503;
    }
    case Endpoint::metrics: res.set_content(metrics.text(), "text/plain; version=0.0.4; charset=utf-8"); return 200;
    case Endpoint::info: {
      auto s = current();
      if (!s) throw RequestError(Reason::not_ready, "the model is still loading");
      res.set_content(info_json(s->info_response(cfg)), "application/json");
      return 200;
    }
    case Endpoint::reload: {
      if (draining) throw RequestError(Reason::draining, "the server is shutting down");
      if (admin_token.empty())
        throw RequestError(Reason::admin_disabled, "no admin token is configured: set the environment variable " + cfg.admin.token_env +
                               " (admin.token_env) before starting the server");
      const std::string auth = req.header("Authorization");
      const std::string bearer = "Bearer ";
      if (auth.compare(0, bearer.size(), bearer) != 0 || !constant_time_equal(auth.substr(bearer.size()), admin_token))
        throw RequestError(Reason::unauthorized, "missing or wrong admin token (header Authorization: Bearer <token>)");
      const auto rq = parse_reload_request(req.body);
      auto s = reload(rq);
      fields.emplace_back("model", s->ref().name);
      fields.emplace_back("version", s->ref().version);
      res.set_content(reload_json(s->ref(), s->routing().source(), static_cast<int64_t>(s->routing().rule_count())),
                      "application/json");
      return 200;
    }
  }
  throw InternalError("unhandled endpoint");
}

int Server::Impl::infer(bool is_route, const std::string& body, HttpResponse& res, std::string& id,
                        Clock::time_point t0, log::Fields& fields) {
  struct Inflight {
    std::atomic<int64_t>& n;
    explicit Inflight(std::atomic<int64_t>& c) : n(c) { ++n; }
    ~Inflight() { --n; }
  } inflight_guard(inflight);
  if (draining) throw RequestError(Reason::draining, "the server is shutting down; send the request to another instance");
  auto s = current();
  if (!s || !ready) throw RequestError(Reason::not_ready, "the model is still loading");
  auto preparing = batcher->preparing();
  std::shared_ptr<InferenceJob> job;
  std::function<void(TimingMs)> answer;
  int64_t deadline_ms = 0;
  try {
    const auto take = [&](const InferenceRequest& r) {
      if (id.empty() && r.id) id = *r.id;
      deadline_ms = r.deadline_ms;
    };
    // The one place route and tag differ: how a request is read and prepared, and how its
    // answer is built once the job is done (answer, below).
    if (is_route) {
      auto r = parse_route_request(body, req_limits);
      take(r);
      const bool redact = r.redact, explain = r.explain || cfg.routing.explain == ExplainSetting::always;
      job = s->prepare_route(r, prep_limits);
      answer = [&, redact, explain](TimingMs timing) {
        auto a = s->route_response(*job, redact ? &cfg.log.sensitive_labels : nullptr, explain);
        a.id = id;
        metrics.route_decision(a.route.queue);
        if (a.route.fallback) metrics.abstention(a.route.reason);
        fields.emplace_back("queue", a.route.queue);
        fields.emplace_back("reason", a.route.reason);
        fields.emplace_back("entities", entities_for_log(a.entities, cfg.log.sensitive_labels));
        timing.total = seconds_between(t0, Clock::now()) * 1e3;
        a.timing = timing;
        res.set_content(route_response_json(a), "application/json");
        if (review) s->offer_for_review(*job, id, *review, cfg.review.redact ? &cfg.log.sensitive_labels : nullptr);
      };
    } else {
      auto r = parse_tag_request(body, req_limits);
      take(r);
      const bool redact = r.redact;
      job = s->prepare_tag(r, prep_limits);
      answer = [&, redact](TimingMs timing) {
        auto a = s->tag_response(*job, redact ? &cfg.log.sensitive_labels : nullptr);
        a.id = id;
        std::vector<EntityOut> all;
        for (const auto& t : a.results) all.insert(all.end(), t.entities.begin(), t.entities.end());
        fields.emplace_back("texts", std::to_string(a.results.size()));
        fields.emplace_back("entities", entities_for_log(all, cfg.log.sensitive_labels));
        timing.total = seconds_between(t0, Clock::now()) * 1e3;
        a.timing = timing;
        res.set_content(tag_response_json(a), "application/json");
        if (review) s->offer_for_review(*job, id, *review, cfg.review.redact ? &cfg.log.sensitive_labels : nullptr);
      };
    }
  } catch (const RequestError& e) {
    if (id.empty() && e.id()) id = *e.id();
    throw;
  }
  if (id.empty()) id = generate_id();
  if (deadline_ms == 0) deadline_ms = cfg.request.default_deadline_ms;
  if (deadline_ms > 0) job->deadline = t0 + std::chrono::milliseconds(deadline_ms);
  job->tokenize_s = seconds_between(t0, Clock::now());
  metrics.tokenize(job->tokenize_s);
  const auto deadline_error = [&] {
    return RequestError(Reason::deadline_exceeded, "the deadline of " + std::to_string(deadline_ms) +
                            " ms passed while the request was queued; it was not computed");
  };
  switch (batcher->submit(job, &preparing)) {
    case Batcher::Submit::queued: break;
    case Batcher::Submit::queue_full:
      res.set_header("Retry-After", "1");
      throw RequestError(Reason::queue_full, std::to_string(cfg.batch.max_queue) + " requests are queued (batch.max_queue); retry after 1 s");
    case Batcher::Submit::expired: throw deadline_error();
    case Batcher::Submit::stopped: throw RequestError(Reason::draining, "the server is shutting down");
  }
  switch (batcher->await(job)) {
    case JobStatus::done: break;
    case JobStatus::expired: throw deadline_error();
    case JobStatus::cancelled: throw RequestError(Reason::draining, "the server stopped before the request was computed");
    case JobStatus::failed: throw InternalError("inference failed: " + job->error());
    case JobStatus::pending: throw InternalError("job finished without a status");
  }
  TimingMs timing;
  timing.tokenize = job->tokenize_s * 1e3;
  timing.queue = seconds_between(job->enqueued, job->started) * 1e3;
  timing.inference = seconds_between(job->started, job->finished) * 1e3;
  fields.emplace_back("queue_ms", std::to_string(timing.queue));
  fields.emplace_back("subwords", std::to_string(job->subwords));
  if (job->truncated) fields.emplace_back("truncated", "true");
  answer(timing);
  return 200;
}

std::shared_ptr<const ModelSnapshot> Server::Impl::reload(const ReloadRequest& rq) {
  std::unique_lock lk(reload_mu, std::try_to_lock);
  if (!lk.owns_lock())
    throw RequestError(Reason::reload_in_progress, "another reload is running; retry when it has finished");
  std::string dir, routing;
  {
    std::lock_guard pl(paths_mu);
    dir = rq.model.empty() ? model_dir : rq.model;
    routing = rq.routing.empty() ? routing_file : rq.routing;
  }
  const auto t0 = Clock::now();
  std::shared_ptr<const ModelSnapshot> s;
  try {
    s = load_snapshot(dir, routing);
  } catch (const std::exception& e) {
    log::warn("reload failed; the previous model keeps serving", {{"model", dir}, {"routing", routing}, {"error", e.what()}});
    throw RequestError(Reason::reload_failed, std::string("reload failed, the previous model keeps serving: ") + e.what());
  }
  publish(s);
  {
    std::lock_guard pl(paths_mu);
    model_dir = dir;
    routing_file = routing;
  }
  log::info("reloaded", {{"name", s->ref().name},
                         {"version", s->ref().version},
                         {"dir", dir},
                         {"routing", s->routing().source()},
                         {"s", std::to_string(seconds_between(t0, Clock::now()))}});
  return s;
}

void Server::reload_async() {
  auto& m = *impl_;
  std::lock_guard lk(m.reload_thread_mu);
  if (m.draining) return;
  if (m.reload_thread_busy) {
    log::warn("SIGHUP: a reload is already running; ignored");
    return;
  }
  if (m.reload_thread.joinable()) m.reload_thread.join();
  m.reload_thread_busy = true;
  m.reload_thread = std::thread([&m] {
    try {
      m.reload({});
    } catch (const RequestError& e) {
      // an HTTP reload's failure is counted where it is answered; this one has no answer
      m.metrics.failure(e.error().code);
      log::warn("SIGHUP reload: " + e.error().message);
    } catch (const std::exception& e) {
      log::error(std::string("SIGHUP reload: ") + e.what());
    }
    m.reload_thread_busy = false;
  });
}

bool Server::drain_and_stop() {
  auto& m = *impl_;
  // First the connection layer (every answer from now on carries Connection: close), so that
  // no 503 draining goes out without it.
  if (m.http) m.http->set_draining();
  m.draining = true;
  const auto deadline = Clock::now() + std::chrono::seconds(m.cfg.shutdown.drain_timeout_s);
  log::info("draining", {{"in_flight", std::to_string(m.inflight.load())},
                         {"timeout_s", std::to_string(m.cfg.shutdown.drain_timeout_s)}});
  while (m.inflight.load() > 0 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const bool drained = m.inflight.load() == 0;
  if (!drained) {
    log::warn("drain timeout: answering what is still queued with 503", {{"in_flight", std::to_string(m.inflight.load())}});
    if (m.batcher) m.batcher->stop(true);
  }
  if (m.http) {
    // Up to 1 s (within the drain timeout) for keep-alive clients to take a last answer
    // with Connection: close before the listener and the connections close.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    m.http->stop(std::clamp(left, std::chrono::milliseconds(0), std::chrono::milliseconds(1000)));
    m.http.reset();
  }
  if (m.batcher) m.batcher->stop(false);
  {
    std::lock_guard lk(m.reload_thread_mu);
    if (m.reload_thread.joinable()) m.reload_thread.join();
  }
  m.batcher.reset();
  return drained;
}

}  // namespace triage::serve
