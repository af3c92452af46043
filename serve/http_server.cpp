// triage-serve's connection layer on Boost.Beast (see http_server.h).
#include "serve/http_server.h"

#include <sys/resource.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "core/error.h"
#include "core/log.h"

namespace triage::serve {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

// Beast's ASCII case-insensitive comparison (Boost 1.74's beast::string_view is not std's).
bool iequals(std::string_view a, std::string_view b) {
  return beast::iequals(beast::string_view(a.data(), a.size()), beast::string_view(b.data(), b.size()));
}

std::string seconds_text(std::chrono::milliseconds d) {
  const auto ms = d.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) : std::to_string(static_cast<double>(ms) / 1e3);
}

// The Content-Length value of a raw request head ("" when absent).
std::string raw_content_length(std::string_view head) {
  size_t pos = 0;
  while ((pos = head.find('\n', pos)) != std::string_view::npos) {
    ++pos;
    constexpr std::string_view key = "content-length:";
    if (head.size() - pos >= key.size() && iequals(head.substr(pos, key.size()), key)) {
      auto end = head.find('\r', pos);
      auto v = head.substr(pos + key.size(), end == std::string_view::npos ? std::string_view::npos : end - pos - key.size());
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
      return std::string(v);
    }
  }
  return "";
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

std::string serialize(const HttpResponse& res, int version, bool keep_alive, bool head_only) {
  std::string out;
  out.reserve(res.body.size() + 256);
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(res.status);
  out += ' ';
  const auto phrase = http::obsolete_reason(http::int_to_status(static_cast<unsigned>(res.status)));
  out.append(phrase.data(), phrase.size());
  out += "\r\n";
  for (const auto& [k, v] : res.headers) {
    if (iequals(k, "Connection") || iequals(k, "Content-Length") || iequals(k, "Content-Type")) continue;
    out += k;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  if (!res.content_type.empty()) out += "Content-Type: " + res.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(res.body.size()) + "\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  else if (version == 10) out += "Connection: keep-alive\r\n";
  out += "\r\n";
  if (!head_only) out += res.body;
  return out;
}

class Session;

}  // namespace

std::string HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return "";
}

void HttpResponse::set_header(std::string name, std::string value) {
  for (auto& kv : headers)
    if (iequals(kv.first, name)) {
      kv.second = std::move(value);
      return;
    }
  headers.emplace_back(std::move(name), std::move(value));
}

struct HttpServer::Impl {
  Impl(HttpOptions o, HttpHandlers h) : opt(std::move(o)), handlers(std::move(h)) {}

  HttpOptions opt;
  HttpHandlers handlers;
  std::atomic<bool> draining{false};
  std::atomic<bool> closing{false};  // the listener is closed: every connection ends after its answer
  bool started = false;
  // The open connections. Declared before the I/O context: sessions destroyed with its
  // pending handlers unregister here.
  std::mutex sessions_mu;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
  size_t open_connections() {
    std::lock_guard lk(sessions_mu);
    return sessions.size();
  }
  net::io_context io{1};
  tcp::acceptor acceptor{io};
  net::steady_timer accept_retry{io};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::unique_ptr<net::thread_pool> workers;  // destroyed before io: its pending tasks hold sessions
  std::thread io_thread;

  void accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
};

namespace {

// One connection; every member is touched on the I/O thread only, except req_ while a
// worker runs the handler (busy_: nothing else reads it then). Deadlines are a timer of its
// own that cancels the pending operation (Beast's tcp_stream closes the socket on expiry,
// which would leave no way to answer 408).
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(HttpServer::Impl& s, tcp::socket socket) : s_(s), socket_(std::move(socket)), timer_(s.io) {}
  ~Session() {
    std::lock_guard lk(s_.sessions_mu);
    s_.sessions.erase(this);
  }

  void start(bool over_limit) {
    if (over_limit) {
      fail(ApiError(Reason::connection_limit, "the server has " + std::to_string(s_.opt.max_connections) +
                                                  " open connections (http.max_connections); retry later"));
      return;
    }
    read_head();
  }

  // The listener closed: end the connection now unless an answer is being prepared or written
  // (it ends after that answer).
  void on_close() {
    if (!busy_ && !closing_) close_now();
  }

 private:
  std::shared_ptr<Session> self() { return shared_from_this(); }

  // The pending operation is cancelled when `d` passes (timed_out_ tells its handler why).
  void arm(std::chrono::steady_clock::duration d) {
    const auto gen = ++timer_gen_;
    timed_out_ = false;
    timer_.expires_after(d);
    timer_.async_wait([self = self(), gen](beast::error_code ec) {
      if (ec || gen != self->timer_gen_) return;
      self->timed_out_ = true;
      beast::error_code ignored;
      self->socket_.cancel(ignored);
    });
  }
  void disarm() {
    ++timer_gen_;
    timer_.cancel();
  }

  std::string_view buffered() const {
    return {static_cast<const char*>(buffer_.data().data()), buffer_.size()};
  }

  void next() {
    if (s_.closing) return linger_close();
    if (buffer_.size() > 0) return read_head();  // a pipelined request is already here
    // Keep-alive: wait for the next request's first byte for http.keep_alive_s; the head's
    // deadline starts with it.
    arm(s_.opt.keep_alive);
    socket_.async_read_some(buffer_.prepare(4096), [self = self()](beast::error_code ec, size_t n) {
      if (ec) return self->close_now();  // idle timeout, the client closed, or the server stops
      self->buffer_.commit(n);
      self->read_head();
    });
  }

  // The head is read up to its blank line, then parsed in one go: the raw bytes stay at hand
  // for the answers that need them (Content-Length too large for 64 bits: 413, not 400).
  void read_head() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(s_.opt.max_header_bytes));
    parser_->body_limit(static_cast<uint64_t>(s_.opt.max_body_bytes));
    req_ = HttpRequest{};
    scanned_ = 0;
    arm(s_.opt.header_timeout);
    continue_head();
  }

  void continue_head() {
    const auto raw = buffered();
    const auto end = raw.find("\r\n\r\n", scanned_);
    if (end != std::string_view::npos) return parse_head(end + 4);
    if (raw.size() > static_cast<size_t>(s_.opt.max_header_bytes)) return head_too_large(raw);
    scanned_ = raw.size() >= 3 ? raw.size() - 3 : 0;
    socket_.async_read_some(buffer_.prepare(4096), [self = self()](beast::error_code ec, size_t n) {
      if (ec) {
        if (self->timed_out_ && self->buffer_.size() > 0)
          return self->fail(ApiError(Reason::header_timeout, "the request head did not arrive within " +
                                                                 seconds_text(self->s_.opt.header_timeout) +
                                                                 " s (http.header_timeout_s)"));
        return self->close_now();  // nothing sent before the deadline, or the client went away
      }
      self->buffer_.commit(n);
      self->continue_head();
    });
  }

  // 414 when the request line alone passes http.max_header_bytes, else 431.
  void head_too_large(std::string_view raw) {
    const auto limit = static_cast<size_t>(s_.opt.max_header_bytes);
    const auto line_end = raw.find("\r\n");
    const bool line_too_long = line_end == std::string_view::npos || line_end > limit;
    ApiError e(Reason::bad_request, (line_too_long ? "the request line is longer than " : "the request head is longer than ") +
                                        std::to_string(limit) + " bytes (http.max_header_bytes)");
    e.status = line_too_long ? 414 : 431;
    fail(e);
  }

  void parse_head(size_t head_bytes) {
    const auto raw = buffered().substr(0, head_bytes);
    beast::error_code ec;
    const auto used = parser_->put(net::buffer(raw.data(), raw.size()), ec);
    if (ec == http::error::body_limit) {
      take_head();
      return fail(ApiError(Reason::body_too_large, "Content-Length " + req_.header("Content-Length") +
                                                       " is larger than " + std::to_string(s_.opt.max_body_bytes) +
                                                       " bytes (http.max_body_bytes)"));
    }
    if (ec == http::error::header_limit) return head_too_large(raw);
    if (ec == http::error::bad_content_length) {
      const auto value = raw_content_length(raw);
      if (all_digits(value))  // a number too large for 64 bits
        return fail(ApiError(Reason::body_too_large, "Content-Length " + value + " is larger than " +
                                                         std::to_string(s_.opt.max_body_bytes) + " bytes (http.max_body_bytes)"));
      return fail(ApiError(Reason::bad_request, "Content-Length '" + value.substr(0, 64) +
                                                    "' is not a non-negative decimal length (or conflicts with another "
                                                    "Content-Length or Transfer-Encoding)"));
    }
    if (ec || !parser_->is_header_done())
      return fail(ApiError(Reason::bad_request, "malformed HTTP request: " + (ec ? ec.message() : std::string("incomplete head"))));
    buffer_.consume(used);
    take_head();
    if (parser_->is_done()) return dispatch();
    if (req_.version == 11 && iequals(req_.header("Expect"), "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      arm(s_.opt.write_timeout);
      net::async_write(socket_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = self()](beast::error_code ec, size_t) {
                         if (ec) return self->close_now();
                         self->read_body();
                       });
      return;
    }
    read_body();
  }

  void take_head() {
    const auto& m = parser_->get();
    req_.method = std::string(m.method_string());
    const auto target = m.target();
    req_.path = std::string(target.substr(0, target.find('?')));
    req_.version = static_cast<int>(m.version());
    for (const auto& f : m) req_.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  }

  void read_body() {
    arm(s_.opt.body_timeout);
    http::async_read(socket_, buffer_, *parser_, [self = self()](beast::error_code ec, size_t) { self->on_body(ec); });
  }

  void on_body(beast::error_code ec) {
    if (ec && timed_out_)
      return fail(ApiError(Reason::body_timeout, "the body did not arrive within " + seconds_text(s_.opt.body_timeout) +
                                                     " s (http.body_timeout_s)"));
    if (ec == http::error::body_limit)
      return fail(ApiError(Reason::body_too_large, "the body is larger than " + std::to_string(s_.opt.max_body_bytes) +
                                                       " bytes (http.max_body_bytes)"));
    // the client went away (an I/O error, or the stream ended inside the message)
    if (ec && (ec.category() != http::make_error_code(http::error::end_of_stream).category() ||
               ec == http::error::end_of_stream || ec == http::error::partial_message))
      return close_now();
    if (ec) return fail(ApiError(Reason::bad_request, "malformed HTTP body: " + ec.message()));
    req_.body = std::move(parser_->get().body());
    dispatch();
  }

  HttpResponse handle() const {
    HttpResponse res;
    try {
      s_.handlers.request(req_, res);
    } catch (...) {
      res = HttpResponse{};
      res.status = 500;
      res.set_content(R"({"error": {"code": 500, "reason": "internal", "message": "internal error"}})",
                      "application/json");
    }
    return res;
  }

  // The handler runs on a worker (probes inline); the answer is written on the I/O thread.
  void dispatch() {
    busy_ = true;
    disarm();
    if (s_.handlers.run_inline && s_.handlers.run_inline(req_)) return answer(handle());
    net::post(*s_.workers, [self = self()]() mutable {
      HttpResponse res = self->handle();
      auto ex = self->socket_.get_executor();
      net::post(ex, [self = std::move(self), res = std::move(res)]() mutable { self->answer(std::move(res)); });
    });
  }

  void answer(HttpResponse res) {
    const bool keep = parser_->get().keep_alive() && !s_.draining && !s_.closing &&
                      ++served_ < s_.opt.keep_alive_requests;
    write(serialize(res, req_.version, keep, req_.method == "HEAD"), !keep);
  }

  // An answer of this layer; the connection ends after it.
  void fail(const ApiError& error) {
    HttpResponse res;
    res.status = error.status;
    s_.handlers.error(error, req_, res);
    write(serialize(res, req_.version, false, false), true);
  }

  void write(std::string out, bool close) {
    busy_ = true;
    auto buf = std::make_shared<std::string>(std::move(out));
    arm(s_.opt.write_timeout);
    net::async_write(socket_, net::buffer(*buf), [self = self(), buf, close](beast::error_code ec, size_t) {
      self->busy_ = false;
      if (ec) return self->close_now();
      if (close) return self->linger_close();
      self->next();
    });
  }

  // Shut down sending, then read and drop what the client still sends (at most 1 MiB, 2 s):
  // closing with unread input would reset the connection and could destroy the answer.
  void linger_close() {
    closing_ = true;
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close_now();
    arm(std::chrono::seconds(2));
    discard();
  }

  void discard() {
    socket_.async_read_some(net::buffer(discard_), [self = self()](beast::error_code ec, size_t n) {
      self->discarded_ += n;
      if (ec || self->discarded_ > (size_t{1} << 20)) return self->close_now();
      self->discard();
    });
  }

  void close_now() {
    closing_ = true;
    disarm();
    beast::error_code ec;
    socket_.close(ec);
  }

  HttpServer::Impl& s_;
  tcp::socket socket_;
  net::steady_timer timer_;
  uint64_t timer_gen_ = 0;
  bool timed_out_ = false;
  beast::flat_buffer buffer_;
  size_t scanned_ = 0;  // head bytes searched for the blank line
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpRequest req_;
  int64_t served_ = 0;
  bool busy_ = false;     // a request is with a worker or its answer is being written
  bool closing_ = false;  // lingering or closed
  std::array<char, 4096> discard_{};
  size_t discarded_ = 0;
};

}  // namespace

void HttpServer::Impl::accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void HttpServer::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
  if (ec) {
    // Out of file descriptors (or a transient error): retry shortly instead of spinning.
    log::warn("accept failed; retrying in 50 ms", {{"error", ec.message()}});
    accept_retry.expires_after(std::chrono::milliseconds(50));
    accept_retry.async_wait([this](beast::error_code e) {
      if (!e && acceptor.is_open()) accept();
    });
    return;
  }
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  const bool over_limit = static_cast<int64_t>(open_connections()) >= opt.max_connections;
  auto session = std::make_shared<Session>(*this, std::move(socket));
  {
    std::lock_guard lk(sessions_mu);
    sessions.emplace(session.get(), session);
  }
  session->start(over_limit);
  accept();
}

HttpServer::HttpServer(HttpOptions options, HttpHandlers handlers)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handlers))) {}

HttpServer::~HttpServer() { stop(std::chrono::milliseconds(0)); }

int HttpServer::bind() {
  auto& m = *impl_;
  const std::string where = "http.host/http.port: cannot listen on " + m.opt.host + ":" + std::to_string(m.opt.port);
  beast::error_code ec;
  auto address = net::ip::make_address(m.opt.host, ec);
  if (ec) {
    tcp::resolver resolver(m.io);
    auto results = resolver.resolve(m.opt.host, std::to_string(m.opt.port), ec);
    if (ec || results.empty()) throw InputError(where + " (" + (ec ? ec.message() : "no address") + ")");
    address = results.begin()->endpoint().address();
  }
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(m.opt.port));
  m.acceptor.open(endpoint.protocol(), ec);
  if (!ec) m.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) m.acceptor.bind(endpoint, ec);
  if (!ec) m.acceptor.listen(m.opt.listen_backlog, ec);
  if (ec) throw InputError(where + " (" + ec.message() + ": address in use, or not an address of this machine)");
  // Each connection is a descriptor: raise the soft limit to the hard one, and say so when
  // http.max_connections cannot be reached.
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    if (lim.rlim_cur < lim.rlim_max) {
      lim.rlim_cur = lim.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &lim);
      ::getrlimit(RLIMIT_NOFILE, &lim);
    }
    if (lim.rlim_cur != RLIM_INFINITY && static_cast<int64_t>(lim.rlim_cur) < m.opt.max_connections + 256)
      log::warn("the open-file limit is below http.max_connections + 256; connections beyond it wait in the listen queue",
                {{"RLIMIT_NOFILE", std::to_string(lim.rlim_cur)},
                 {"http.max_connections", std::to_string(m.opt.max_connections)}});
  }
  return m.acceptor.local_endpoint().port();
}

void HttpServer::start() {
  auto& m = *impl_;
  if (m.started) return;
  m.started = true;
  m.workers = std::make_unique<net::thread_pool>(static_cast<size_t>(m.opt.worker_threads));
  m.work.emplace(m.io.get_executor());
  net::post(m.io, [&m] { m.accept(); });
  m.io_thread = std::thread([&m] {
    for (;;) {
      try {
        m.io.run();
        return;
      } catch (const std::exception& e) {
        log::error(std::string("HTTP I/O loop: ") + e.what());
      }
    }
  });
}

void HttpServer::set_draining() { impl_->draining = true; }

void HttpServer::stop(std::chrono::milliseconds grace) {
  auto& m = *impl_;
  if (!m.started) return;
  m.started = false;
  m.draining = true;
  const auto wait_for_connections = [&m](std::chrono::milliseconds d) {
    const auto until = std::chrono::steady_clock::now() + d;
    while (m.open_connections() > 0 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  };
  wait_for_connections(grace);
  net::post(m.io, [&m] {
    m.closing = true;
    beast::error_code ec;
    m.acceptor.close(ec);
    m.accept_retry.cancel();
    std::vector<std::shared_ptr<Session>> live;
    {
      std::lock_guard lk(m.sessions_mu);
      for (auto& [p, w] : m.sessions)
        if (auto s = w.lock()) live.push_back(std::move(s));
    }
    for (auto& s : live) s->on_close();
  });
  wait_for_connections(std::chrono::seconds(1));
  m.work.reset();
  m.io.stop();
  if (m.io_thread.joinable()) m.io_thread.join();
  if (m.workers) m.workers->join();
}

}  // namespace triage::serve
