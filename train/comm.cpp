// Communicator implementations over torch's c10d process groups.
#include "train/comm.h"

#include <cstdlib>
#include <string>

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef TRIAGE_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#include <torch/torch.h>

#include "data/error.h"

namespace triage::train {
namespace {

int env_int(const char* name, int fallback, int min_value) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (*end != '\0' || x < min_value || x > 1 << 30)
    throw InputError(std::string("environment variable ") + name + ": expected an integer >= " +
                     std::to_string(min_value) + ", found '" + v + "'");
  return static_cast<int>(x);
}

class Single : public Communicator {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  std::string backend() const override { return "single"; }
  void all_reduce_sum(std::vector<torch::Tensor>&) override {}
  void broadcast(std::vector<torch::Tensor>&, int) override {}
  void barrier() override {}
};

class C10d : public Communicator {
 public:
  C10d(c10::intrusive_ptr<c10d::Backend> pg, std::string name, int rank, int world, std::chrono::milliseconds timeout)
      : pg_(std::move(pg)), name_(std::move(name)), rank_(rank), world_(world), timeout_(timeout) {}
  int rank() const override { return rank_; }
  int world_size() const override { return world_; }
  std::string backend() const override { return name_; }
  void all_reduce_sum(std::vector<torch::Tensor>& tensors) override {
    if (tensors.empty()) return;
    wait(pg_->allreduce(tensors), "all_reduce");
  }
  void broadcast(std::vector<torch::Tensor>& tensors, int root) override {
    if (tensors.empty()) return;
    c10d::BroadcastOptions o;
    o.rootRank = root;
    wait(pg_->broadcast(tensors, o), "broadcast");
  }
  void barrier() override {
    if (name_ == "nccl") {  // a tiny all-reduce: NCCL's barrier needs a device guess
      auto t = torch::zeros({1}, torch::TensorOptions().device(torch::kCUDA, torch::cuda::device_count() ? 0 : 0));
      std::vector<torch::Tensor> v{t};
      all_reduce_sum(v);
      return;
    }
    wait(pg_->barrier(), "barrier");
  }

 private:
  void wait(const c10::intrusive_ptr<c10d::Work>& work, const char* what) {
    try {
      work->wait(timeout_);
    } catch (const std::exception& e) {
      throw Error(std::string(name_) + " " + what + " failed on rank " + std::to_string(rank_) + " of " +
                  std::to_string(world_) + " (a peer died or timed out after " +
                  std::to_string(timeout_.count() / 1000) + " s): " + e.what());
    }
  }
  c10::intrusive_ptr<c10d::Backend> pg_;
  std::string name_;
  int rank_, world_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

DistEnv read_dist_env() {
  DistEnv e;
  e.present = std::getenv("WORLD_SIZE") != nullptr;
  e.world_size = env_int("WORLD_SIZE", 1, 1);
  e.rank = env_int("RANK", 0, 0);
  e.local_rank = env_int("LOCAL_RANK", e.rank, 0);
  e.local_world_size = env_int("LOCAL_WORLD_SIZE", e.world_size, 1);
  e.master_port = env_int("MASTER_PORT", 29500, 1);
  if (const char* a = std::getenv("MASTER_ADDR"); a && *a) e.master_addr = a;
  if (e.rank >= e.world_size)
    throw InputError("environment: RANK " + std::to_string(e.rank) + " must be < WORLD_SIZE " + std::to_string(e.world_size));
  if (e.master_port > 65535) throw InputError("environment variable MASTER_PORT: expected a port <= 65535");
  return e;
}

std::unique_ptr<Communicator> make_single_process() { return std::make_unique<Single>(); }

std::unique_ptr<Communicator> make_communicator(const DistEnv& env, const std::string& backend,
                                                std::chrono::milliseconds timeout, bool cuda) {
  if (env.world_size <= 1) return make_single_process();
  std::string name = backend == "auto" ? (cuda ? "nccl" : "gloo") : backend;
  c10d::TCPStoreOptions so;
  so.port = static_cast<uint16_t>(env.master_port);
  so.isServer = env.rank == 0;
  so.numWorkers = env.world_size;
  so.waitWorkers = true;
  so.timeout = timeout;
  c10::intrusive_ptr<c10d::Store> store;
  try {
    store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
  } catch (const std::exception& e) {
    throw Error("rendezvous at " + env.master_addr + ":" + std::to_string(env.master_port) + " failed on rank " +
                std::to_string(env.rank) + ": " + e.what());
  }
  if (name == "gloo") {
    auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
    opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, env.rank, env.world_size, opts);
    return std::make_unique<C10d>(pg, "gloo", env.rank, env.world_size, timeout);
  }
  if (name == "nccl") {
#ifdef TRIAGE_WITH_NCCL
    auto opts = c10d::ProcessGroupNCCL::Options::create();
    opts->timeout = timeout;
    auto pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, env.rank, env.world_size, opts);
    return std::make_unique<C10d>(pg, "nccl", env.rank, env.world_size, timeout);
#else
    throw InputError("backend nccl: this build has no CUDA (configure with TRIAGE_WITH_CUDA=ON)");
#endif
  }
  throw InputError("distributed backend: expected auto, gloo or nccl, found '" + backend + "'");
}

}  // namespace triage::train
