// Closed-loop HTTP/1.1 load generator for the serving benchmark (scripts/bench/serve/run.sh).
// N client threads, one persistent keep-alive connection each (TCP_NODELAY, blocking
// sockets); each sends the next request as soon as the previous answer is read. Bodies
// come from a file, one per line, taken in order across all clients (a shared counter),
// cycling. Loopback only: the host must be 127.0.0.1 / localhost / ::1.
//
//   loadgen --port P --clients N [--method POST --path /v1/route --bodies FILE]
//           [--seconds 20 --requests 1000 --warmup-s 3 --max-seconds 120] --out FILE
//
// Timing: warm-up for --warmup-s (answers not recorded), then record every request that
// starts after the recording start and ends before the stop; stop once both --seconds and
// --requests are reached (or --max-seconds, then "complete 0"). Output FILE: a header line
//   # rec_start_ns stop_ns clients reconnects errors complete
// then one line per recorded request:
//   start_ns end_ns status tokenize_ms queue_ms inference_ms total_ms
// (the timing_ms fields of the answer, -1 when absent). Connection setup is never inside a
// request's time: a connection the server closed (Connection: close, or EOF before an
// answer) is reopened before the request is (re)sent, and counted in reconnects.
//
// Build: g++ -O2 -std=c++20 -pthread loadgen.cpp -o loadgen
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string method = "POST";
  std::string path = "/v1/route";
  std::string bodies_file;
  int clients = 1;
  double seconds = 20;
  long requests = 1000;
  double warmup_s = 3;
  double max_seconds = 120;
  std::string out;
};

struct Record {
  int64_t start_ns, end_ns;
  int status;
  float tokenize, queue, inference, total;
};

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

[[noreturn]] void die(const std::string& msg) {
  std::cerr << "loadgen: " << msg << "\n";
  std::exit(2);
}

int connect_to(const Options& o) {
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  if (int rc = getaddrinfo(o.host.c_str(), std::to_string(o.port).c_str(), &hints, &res); rc != 0)
    die(std::string("getaddrinfo: ") + gai_strerror(rc));
  int fd = -1;
  for (addrinfo* a = res; a; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) die("cannot connect to " + o.host + ":" + std::to_string(o.port) + ": " + std::strerror(errno));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool send_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return false;
    }
    off += size_t(n);
  }
  return true;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

// One answer. Returns false on EOF/error before a complete answer.
struct Reader {
  int fd;
  std::string buf;  // bytes received but not consumed yet

  bool fill() {
    char tmp[16384];
    for (;;) {
      ssize_t n = recv(fd, tmp, sizeof tmp, 0);
      if (n > 0) {
        buf.append(tmp, size_t(n));
        return true;
      }
      if (n < 0 && errno == EINTR) continue;
      return false;
    }
  }

  bool read_answer(int& status, std::string& body, bool& close_after) {
    size_t hdr_end;
    while ((hdr_end = buf.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return false;
    std::string head = lower(buf.substr(0, hdr_end));
    buf.erase(0, hdr_end + 4);
    if (head.size() < 12 || head.compare(0, 5, "http/") != 0) die("malformed status line: " + head.substr(0, 80));
    status = std::atoi(head.c_str() + head.find(' ') + 1);
    close_after = head.find("\r\nconnection: close") != std::string::npos;
    body.clear();
    if (size_t p = head.find("\r\ncontent-length:"); p != std::string::npos) {
      size_t len = std::strtoull(head.c_str() + p + 17, nullptr, 10);
      while (buf.size() < len)
        if (!fill()) return false;
      body.assign(buf, 0, len);
      buf.erase(0, len);
    } else if (head.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
      for (;;) {
        size_t eol;
        while ((eol = buf.find("\r\n")) == std::string::npos)
          if (!fill()) return false;
        size_t len = std::strtoull(buf.c_str(), nullptr, 16);
        while (buf.size() < eol + 2 + len + 2)
          if (!fill()) return false;
        body.append(buf, eol + 2, len);
        buf.erase(0, eol + 2 + len + 2);
        if (len == 0) break;  // (no trailers expected)
      }
    } else {
      die("answer without Content-Length or chunked encoding");
    }
    return true;
  }
};

float field(const std::string& body, size_t from, const char* key) {
  size_t p = body.find(key, from);
  if (p == std::string::npos) return -1.f;
  p = body.find(':', p);
  return p == std::string::npos ? -1.f : std::strtof(body.c_str() + p + 1, nullptr);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--host") o.host = val();
    else if (a == "--port") o.port = std::stoi(val());
    else if (a == "--method") o.method = val();
    else if (a == "--path") o.path = val();
    else if (a == "--bodies") o.bodies_file = val();
    else if (a == "--clients") o.clients = std::stoi(val());
    else if (a == "--seconds") o.seconds = std::stod(val());
    else if (a == "--requests") o.requests = std::stol(val());
    else if (a == "--warmup-s") o.warmup_s = std::stod(val());
    else if (a == "--max-seconds") o.max_seconds = std::stod(val());
    else if (a == "--out") o.out = val();
    else die("unknown argument '" + a + "'");
  }
  if (o.port <= 0) die("--port is required");
  if (o.out.empty()) die("--out is required");
  if (o.host != "127.0.0.1" && o.host != "localhost" && o.host != "::1") die("loopback hosts only");
  if (o.clients < 1) die("--clients must be >= 1");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::vector<std::string> bodies;
  if (!o.bodies_file.empty()) {
    std::ifstream f(o.bodies_file);
    if (!f) die("cannot read " + o.bodies_file);
    for (std::string line; std::getline(f, line);)
      if (!line.empty()) bodies.push_back(line);
    if (bodies.empty()) die(o.bodies_file + ": no bodies");
  } else {
    bodies.emplace_back();
  }
  // Requests are built once; only the body differs.
  std::vector<std::string> reqs;
  for (const auto& b : bodies) {
    std::string r = o.method + " " + o.path + " HTTP/1.1\r\nHost: " + o.host + ":" + std::to_string(o.port) + "\r\n";
    if (o.method == "POST")
      r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(b.size()) + "\r\n\r\n" + b;
    else
      r += "\r\n";
    reqs.push_back(std::move(r));
  }

  std::atomic<uint64_t> next{0};
  std::atomic<int64_t> rec_start{INT64_MAX}, stop_at{INT64_MAX};
  std::atomic<bool> stop{false};
  std::atomic<long> recorded{0}, reconnects{0}, errors{0};
  std::vector<std::vector<Record>> per_thread(size_t(o.clients));

  auto client = [&](int t) {
    auto& recs = per_thread[size_t(t)];
    recs.reserve(1 << 16);
    Reader rd{connect_to(o), {}};
    std::string body;
    while (!stop.load(std::memory_order_relaxed)) {
      const std::string& req = reqs[next.fetch_add(1) % reqs.size()];
      int status = 0;
      bool close_after = false;
      int64_t t0 = now_ns();
      bool ok = send_all(rd.fd, req) && rd.read_answer(status, body, close_after);
      if (!ok && rd.buf.empty()) {  // the server closed an idle keep-alive connection: reopen, resend
        close(rd.fd);
        rd = Reader{connect_to(o), {}};
        reconnects.fetch_add(1);
        t0 = now_ns();
        ok = send_all(rd.fd, req) && rd.read_answer(status, body, close_after);
      }
      int64_t t1 = now_ns();
      if (!ok) die("connection lost mid-answer");
      if (status != 200) errors.fetch_add(1);
      if (t0 >= rec_start.load(std::memory_order_relaxed) && t1 <= stop_at.load()) {
        Record r{t0, t1, status, -1, -1, -1, -1};
        if (size_t p = body.find("\"timing_ms\""); p != std::string::npos) {
          r.tokenize = field(body, p, "\"tokenize\"");
          r.queue = field(body, p, "\"queue\"");
          r.inference = field(body, p, "\"inference\"");
          r.total = field(body, p, "\"total\"");
        }
        recs.push_back(r);
        recorded.fetch_add(1, std::memory_order_relaxed);
      }
      if (close_after) {
        close(rd.fd);
        rd = Reader{connect_to(o), {}};
        reconnects.fetch_add(1);
      }
    }
    close(rd.fd);
  };

  std::vector<std::thread> threads;
  for (int t = 0; t < o.clients; ++t) threads.emplace_back(client, t);
  const int64_t begin = now_ns();
  std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup_s));
  errors = 0;
  const int64_t start = now_ns();
  rec_start = start;
  bool complete = true;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    double el = double(now_ns() - start) / 1e9;
    if (el >= o.seconds && recorded.load() >= o.requests) break;
    if (double(now_ns() - begin) / 1e9 >= o.max_seconds) {
      complete = false;
      break;
    }
  }
  stop_at = now_ns();
  stop = true;
  for (auto& th : threads) th.join();

  std::string tmp = o.out + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) die("cannot write " + tmp);
  std::fprintf(f, "# %lld %lld %d %ld %ld %d\n", (long long)start, (long long)stop_at.load(), o.clients,
               reconnects.load(), errors.load(), complete ? 1 : 0);
  for (const auto& recs : per_thread)
    for (const auto& r : recs)
      std::fprintf(f, "%lld %lld %d %.4f %.4f %.4f %.4f\n", (long long)r.start_ns, (long long)r.end_ns, r.status,
                   r.tokenize, r.queue, r.inference, r.total);
  std::fclose(f);
  if (std::rename(tmp.c_str(), o.out.c_str()) != 0) die("cannot rename " + tmp);
  return 0;
}
