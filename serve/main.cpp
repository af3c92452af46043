// triage-serve: the /v1/route and /v1/tag endpoints over a fine-tuned checkpoint, with
// dynamic batching, Prometheus metrics, probes, hot reload and graceful drain.
//   triage-serve --model DIR [--routing FILE] [--host H] [--port P] [--config FILE ...]
//                [--set key=value ...] [--dump-config] [--list-errors]
// Every key is also read from TRIAGE_SERVE_<KEY> (docs/serving.md, "Configuration"). Prints
// "triage-serve listening on http://HOST:PORT" once ready; logs go to stderr.
// Signals: SIGTERM/SIGINT drain and exit (0 drained, 1 drain timeout), SIGHUP reloads.
// Exit codes: 0 ok, 2 bad input or usage, 1 internal failure.
#include <pthread.h>
#include <signal.h>

#include <condition_variable>
#include <csignal>
#include <iostream>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>

#include "core/cli.h"
#include "core/error.h"
#include "core/log.h"
#include "core/run_main.h"
#include "serve/errors.h"
#include "serve/serve_config.h"
#include "serve/server.h"

using namespace triage;

namespace {

// SIGTERM, SIGINT and SIGHUP are blocked in every thread and taken by one thread with
// sigwait, so no code runs in an async signal handler.
class SignalWatcher {
 public:
  SignalWatcher() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);  // before any other thread exists
    thread_ = std::thread([this] { run(); });
  }
  ~SignalWatcher() {
    if (!stop_requested()) pthread_kill(thread_.native_handle(), SIGTERM);
    thread_.join();
  }
  void on_hangup(std::function<void()> f) {
    std::lock_guard lk(mu_);
    hangup_ = std::move(f);
  }
  bool stop_requested() {
    std::lock_guard lk(mu_);
    return stop_ != 0;
  }
  int wait_for_stop() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return stop_ != 0; });
    return stop_;
  }

 private:
  void run() {
    for (;;) {
      int sig = 0;
      if (sigwait(&set_, &sig) != 0) continue;
      if (sig == SIGHUP) {
        std::function<void()> f;
        {
          std::lock_guard lk(mu_);
          f = hangup_;
        }
        if (f) {
          log::info("SIGHUP: reloading");
          f();
        } else {
          log::warn("SIGHUP before the server is ready; ignored");
        }
        continue;
      }
      {
        std::lock_guard lk(mu_);
        stop_ = sig;
      }
      cv_.notify_all();
      return;
    }
  }
  sigset_t set_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  int stop_ = 0;
  std::function<void()> hangup_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"triage-serve: entities, intent and routing queue over HTTP from a fine-tuned checkpoint"};
  ConfigFlags cf;
  std::string model_dir, routing, host;
  int64_t port = -1;
  bool list_errors = false;
  add_config_flags(app, cf);
  app.add_flag("--list-errors", list_errors,
               "print every error reason (HTTP status, failure-metric label, meaning) as JSON lines and exit");
  app.add_option("--model", model_dir, "checkpoint directory (= model.dir)");
  app.add_option("--routing", routing, "routing rules YAML (= routing.file)");
  app.add_option("--host", host, "bind address (= http.host)");
  app.add_option("--port", port, "TCP port, 0 = ephemeral (= http.port)");
  if (auto rc = parse_cli(app, argc, argv)) return *rc;
  if (list_errors) {
    std::cout << serve::error_table_jsonl();
    return 0;
  }
  std::signal(SIGPIPE, SIG_IGN);
  return run_main("triage-serve", [&] {
    serve::ServeConfig cfg;
    config::Schema schema;
    cfg.register_fields(schema);
    schema.load({cf.files, "TRIAGE_SERVE", cf.sets}, [&] {
      if (!model_dir.empty()) cfg.model.dir = model_dir;
      if (!routing.empty()) cfg.routing.file = routing;
      if (!host.empty()) cfg.http.host = host;
      if (port >= 0) cfg.http.port = port;
    });
    if (cf.dump) {
      std::cout << schema.dump_yaml();
      return 0;
    }
    cfg.validate(true);
    log::configure(cfg.log.level, cfg.log.format == serve::LogFormat::json);

    SignalWatcher signals;
    serve::Server server(cfg);
    server.load();
    if (signals.stop_requested()) {
      server.drain_and_stop();
      return 0;
    }
    const int bound = server.listen();
    signals.on_hangup([&server] { server.reload_async(); });
    const std::string shown = cfg.http.host.find(':') != std::string::npos ? "[" + cfg.http.host + "]" : cfg.http.host;
    std::cout << "triage-serve listening on http://" << shown << ":" << bound << std::endl;
    const int sig = signals.wait_for_stop();
    signals.on_hangup({});
    log::info(std::string(sig == SIGINT ? "SIGINT" : "SIGTERM") + ": draining");
    const bool drained = server.drain_and_stop();
    log::info(drained ? "stopped" : "stopped after the drain timeout with work left");
    return drained ? 0 : 1;
  });
}
