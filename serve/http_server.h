// triage-serve's connection layer: HTTP/1.1 on Boost.Beast over one event-driven I/O thread;
// only complete requests reach the worker pool (http.threads), so an idle or slow client holds
// a socket and a small buffer, never a thread. What it enforces on every connection:
//   - a deadline for the whole request head (http.header_timeout_s, from the connection's
//     accept or from the first byte of a keep-alive request) and for the whole body
//     (http.body_timeout_s): 408 and close;
//   - framing: a negative or unparsable Content-Length 400; one above http.max_body_bytes
//     413 before any body byte is read (a chunked body: when it passes the limit); a request
//     line over http.max_header_bytes 414, a head over it 431; other malformed requests 400;
//   - at most http.max_connections open connections: the excess is answered 503 and closed;
//   - idle keep-alive connections closed after http.keep_alive_s, and after
//     http.keep_alive_requests requests; `Expect: 100-continue` honoured; pipelined requests
//     answered in order;
//   - draining: every answer carries `Connection: close`.
// A connection closed by the server after an answer is shut down for sending first and its
// unread input discarded (at most 1 MiB, 2 s), so the client reads the answer instead of a
// reset. The application sees HttpRequest / HttpResponse only (serve/server.cpp). Torch-free.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "serve/request.h"

namespace triage::serve {

struct HttpRequest {
  std::string method;  // as sent: "GET", "POST", ...
  std::string path;    // the target without its query string
  int version = 11;    // 10 or 11
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first header `name` (ASCII case-insensitive); "" when absent.
  std::string header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type/-Length, Connection
  std::string content_type;
  std::string body;

  void set_header(std::string name, std::string value);  // replaces a header of that name
  void set_content(std::string body_, std::string type) {
    body = std::move(body_);
    content_type = std::move(type);
  }
};

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 = ephemeral
  int worker_threads = 64;
  int64_t max_body_bytes = 1 << 20;
  int64_t max_header_bytes = 8192;
  int64_t max_connections = 4096;
  int64_t keep_alive_requests = 100000;
  int listen_backlog = 1024;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{10000};
  std::chrono::milliseconds keep_alive{5000};
  std::chrono::milliseconds write_timeout{10000};
};

struct HttpHandlers {
  // A complete request, on a worker thread. Exceptions are answered 500.
  std::function<void(const HttpRequest&, HttpResponse&)> request;
  // Requests `request` answers at once without blocking (probes): run on the I/O thread,
  // so that they neither wait behind a busy worker pool nor pay two thread hand-offs.
  std::function<bool(const HttpRequest&)> run_inline;
  // An answer of the connection layer itself (bad framing, sizes, deadlines, the connection
  // cap), on the I/O thread: fills the response's body from `error`; `request` holds what was
  // parsed before the failure (its method, path and headers may be empty). Must not throw.
  std::function<void(const ApiError& error, const HttpRequest& request, HttpResponse&)> error;
};

class HttpServer {
 public:
  HttpServer(HttpOptions options, HttpHandlers handlers);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens (SO_REUSEADDR, not SO_REUSEPORT: a second server on the same port
  // fails); returns the bound port. InputError naming http.host/http.port when it cannot.
  int bind();
  // Starts accepting on the I/O thread.
  void start();
  // From now on every answer carries `Connection: close`.
  void set_draining();
  // Stops: for up to `grace`, keeps accepting (answers carry `Connection: close`) while open
  // connections finish; then closes the listener and every connection (those still writing
  // get up to 1 s more), and joins the I/O and worker threads.
  void stop(std::chrono::milliseconds grace);

  struct Impl;  // public so that http_server.cpp's connections can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace triage::serve
