// Local multi-process launch: fork/exec of /proc/self/exe per rank, a signal-driven
// supervision loop, failure propagation.
#include "train/launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "core/error.h"
#include "core/log.h"

namespace triage::train {
namespace {

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw Error(std::string("socket(): ") + std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    const int e = errno;
    ::close(fd);
    throw Error(std::string("finding a free port for MASTER_PORT: ") + std::strerror(e));
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int s = WTERMSIG(status);
    const char* name = sigabbrev_np(s);
    return "was killed by signal " + std::to_string(s) + (name ? std::string(" (SIG") + name + ")" : "");
  }
  return "ended with status " + std::to_string(status);
}

}  // namespace

std::vector<std::string> strip_nproc_arg(int argc, char** argv) {
  std::vector<std::string> out;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--nproc-per-node" || a == "--nproc_per_node") {
      ++i;  // and its value
      continue;
    }
    if (a.rfind("--nproc-per-node=", 0) == 0 || a.rfind("--nproc_per_node=", 0) == 0) continue;
    out.push_back(a);
  }
  return out;
}

int launch_local(const LaunchOptions& o) {
  if (o.nproc < 1) throw InputError("--nproc-per-node: expected >= 1, found " + std::to_string(o.nproc));
  int port = o.master_port;
  if (port == 0) {
    const char* env = std::getenv("MASTER_PORT");
    port = env && *env ? std::atoi(env) : free_port();
  }
  // torchrun's rule, with the cores shared out instead of one thread each.
  std::string omp;
  if (const char* env = std::getenv("OMP_NUM_THREADS"); env && *env) {
    omp = env;
  } else {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    omp = std::to_string(std::max(1u, cores / static_cast<unsigned>(o.nproc)));
  }
  log::info("launching " + std::to_string(o.nproc) + " ranks (MASTER_ADDR=" + o.master_addr +
            " MASTER_PORT=" + std::to_string(port) + " OMP_NUM_THREADS=" + omp + ")");

  // Signals are taken synchronously (sigtimedwait) by this loop; workers get the default mask.
  sigset_t mask, old;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, &old);

  // argv[0] of the workers: this executable's real path (ps and /proc show triage-train).
  std::string self(4096, '\0');
  const ssize_t self_len = ::readlink("/proc/self/exe", self.data(), self.size() - 1);
  self = self_len > 0 ? self.substr(0, static_cast<size_t>(self_len)) : std::string("triage-train");
  const pid_t parent = ::getpid();
  std::vector<pid_t> pids(static_cast<size_t>(o.nproc), -1);
  for (int r = 0; r < o.nproc; ++r) {
    const pid_t pid = ::fork();
    if (pid < 0) throw Error(std::string("fork(): ") + std::strerror(errno));
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);
      sigprocmask(SIG_SETMASK, &old, nullptr);
      ::setenv("RANK", std::to_string(r).c_str(), 1);
      ::setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
      ::setenv("GROUP_RANK", "0", 1);
      ::setenv("WORLD_SIZE", std::to_string(o.nproc).c_str(), 1);
      ::setenv("LOCAL_WORLD_SIZE", std::to_string(o.nproc).c_str(), 1);
      ::setenv("MASTER_ADDR", o.master_addr.c_str(), 1);
      ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      ::setenv("OMP_NUM_THREADS", omp.c_str(), 1);
      std::vector<char*> argv;
      argv.push_back(self.data());
      std::vector<std::string> args = o.args;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv("/proc/self/exe", argv.data());
      std::fprintf(stderr, "triage-train: exec of /proc/self/exe for rank %d failed: %s\n", r, std::strerror(errno));
      ::_exit(127);
    }
    pids[static_cast<size_t>(r)] = pid;
  }

  int live = o.nproc, code = 0;
  bool failed = false;
  std::chrono::steady_clock::time_point kill_at{};
  auto signal_others = [&](int sig) {
    for (pid_t p : pids)
      if (p > 0) ::kill(p, sig);
  };
  while (live > 0) {
    timespec wait_for{0, 200 * 1000 * 1000};
    siginfo_t info{};
    const int sig = ::sigtimedwait(&mask, &info, &wait_for);
    if (sig == SIGINT || sig == SIGTERM) {
      log::info(std::string("launcher: forwarding ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + " to the ranks");
      signal_others(sig);
    }
    for (;;) {
      int status = 0;
      const pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      int rank = -1;
      for (int r = 0; r < o.nproc; ++r)
        if (pids[static_cast<size_t>(r)] == pid) rank = r;
      if (rank < 0) continue;
      pids[static_cast<size_t>(rank)] = -1;
      --live;
      const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      if (ok || failed) {
        if (!ok) log::info("rank " + std::to_string(rank) + " " + describe_status(status));
        continue;
      }
      failed = true;
      code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
      log::error("rank " + std::to_string(rank) + " (pid " + std::to_string(pid) + ") " + describe_status(status) +
                 "; stopping the other ranks");
      signal_others(SIGTERM);
      kill_at = std::chrono::steady_clock::now() +
                std::chrono::milliseconds(static_cast<int64_t>(o.grace_s * 1000));
    }
    if (failed && live > 0 && std::chrono::steady_clock::now() >= kill_at) {
      log::warn("ranks still running " + std::to_string(o.grace_s) + " s after SIGTERM: SIGKILL");
      signal_others(SIGKILL);
      kill_at = std::chrono::steady_clock::time_point::max();
    }
  }
  sigprocmask(SIG_SETMASK, &old, nullptr);
  if (failed) log::error("job failed (exit " + std::to_string(code) + ")");
  return code;
}

}  // namespace triage::train
