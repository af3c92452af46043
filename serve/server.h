// triage-serve's application layer: endpoints, errors, readiness, drain and hot reload around
// one Batcher and the current ModelSnapshot, behind the connection layer (serve/http_server.h).
// Worker threads parse, validate and tokenize; the batching loop runs the model; answers are
// built back on the worker. Every handler is wrapped so that no input can take the process down (anything
// unexpected is a logged 500 internal). Torch-free.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "serve/serve_config.h"

namespace triage::serve {

class Server {
 public:
  explicit Server(ServeConfig config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads and warms up the model, validates the routing rules (InputError on a bad
  // checkpoint or rule), starts the batching loop.
  void load();
  // Binds http.host:http.port and serves on a background thread; returns the bound port.
  int listen();
  const std::string& host() const;

  // Reloads in the background of the serving model with the current paths (SIGHUP); the
  // outcome is logged. A reload already running makes this a logged no-op.
  void reload_async();

  // SIGTERM: readiness 503 at once, new /v1/* requests 503 draining, waits for accepted
  // work up to shutdown.drain_timeout_s, then stops HTTP and the loop. True when
  // everything accepted was answered.
  bool drain_and_stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace triage::serve
