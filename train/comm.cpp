// Communicator implementations over torch's c10d process groups.
#include "train/comm.h"

#include <cstdlib>
#include <map>
#include <string>

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef TRIAGE_WITH_NCCL
#include <cuda_runtime_api.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#include <torch/torch.h>

#include "core/check.h"
#include "core/error.h"

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

class Done : public PendingWork {
 public:
  void wait() override {}
};

class Single : public Communicator {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  std::string backend() const override { return "single"; }
  void all_reduce_sum(std::vector<torch::Tensor>&, Timeout) override {}
  std::unique_ptr<PendingWork> all_reduce_sum_async(torch::Tensor&) override { return std::make_unique<Done>(); }
  void broadcast(std::vector<torch::Tensor>&, int) override {}
  void barrier(Timeout) override {}
};

std::string describe_failure(const std::string& backend, const char* what, int rank, int world,
                             std::chrono::milliseconds timeout, const std::exception& e) {
  return backend + " " + what + " failed on rank " + std::to_string(rank) + " of " + std::to_string(world) +
         " (a peer died, or did not join within " + std::to_string(timeout.count() / 1000) +
         " s: dist.timeout_s): " + e.what();
}

class C10dWork : public PendingWork {
 public:
  C10dWork(c10::intrusive_ptr<c10d::Work> w, std::string backend, const char* what, int rank, int world,
           std::chrono::milliseconds timeout)
      : w_(std::move(w)), backend_(std::move(backend)), what_(what), rank_(rank), world_(world), timeout_(timeout) {}
  void wait() override {
    try {
      w_->wait(timeout_);
    } catch (const std::exception& e) {
      throw Error(describe_failure(backend_, what_, rank_, world_, timeout_, e));
    }
  }

 private:
  c10::intrusive_ptr<c10d::Work> w_;
  std::string backend_;
  const char* what_;
  int rank_, world_;
  std::chrono::milliseconds timeout_;
};

class C10d : public Communicator {
 public:
  C10d(c10::intrusive_ptr<c10d::Backend> pg, std::string name, int rank, int world, std::chrono::milliseconds timeout,
       torch::Device device)
      : pg_(std::move(pg)), name_(std::move(name)), rank_(rank), world_(world), timeout_(timeout), device_(device) {}
  ~C10d() override {
    if (done_) return;
    try {
      pg_->abort();
    } catch (...) {  // already failing: the process is on its way out
    }
  }
  void shutdown() override {
    if (done_) return;
    done_ = true;
    TRIAGE_C10D_CHECK(pg_->shutdown(), where() + " (shutdown)");
  }
  int rank() const override { return rank_; }
  int world_size() const override { return world_; }
  std::string backend() const override { return name_; }

  // c10d's vector argument means "one tensor per local device", so tensors of different
  // shapes are reduced as one flat buffer per dtype.
  void all_reduce_sum(std::vector<torch::Tensor>& tensors, Timeout timeout) override {
    if (tensors.empty()) return;
    const auto t = timeout.count() > 0 ? timeout : timeout_;
    std::map<c10::ScalarType, std::vector<size_t>> by_type;
    for (size_t i = 0; i < tensors.size(); ++i) by_type[tensors[i].scalar_type()].push_back(i);
    for (const auto& [type, idx] : by_type) {
      torch::Tensor flat;
      if (idx.size() == 1) {
        flat = tensors[idx[0]];
      } else {
        std::vector<torch::Tensor> parts;
        for (size_t i : idx) parts.push_back(tensors[i].reshape({-1}));
        flat = torch::cat(parts);
      }
      std::vector<torch::Tensor> one{flat};
      c10d::AllreduceOptions o;
      o.timeout = t;
      wait(TRIAGE_C10D_CHECK(pg_->allreduce(one, o), where()), "all_reduce", t);
      if (idx.size() > 1) {
        int64_t off = 0;
        for (size_t i : idx) {
          auto& dst = tensors[i];
          dst.copy_(flat.narrow(0, off, dst.numel()).view(dst.sizes()));
          off += dst.numel();
        }
      }
    }
  }
  std::unique_ptr<PendingWork> all_reduce_sum_async(torch::Tensor& tensor) override {
    std::vector<torch::Tensor> one{tensor};
    auto w = TRIAGE_C10D_CHECK(pg_->allreduce(one), where());
    return std::make_unique<C10dWork>(w, name_, "gradient all_reduce", rank_, world_, timeout_);
  }
  void broadcast(std::vector<torch::Tensor>& tensors, int root) override {
    for (auto& x : tensors) {
      std::vector<torch::Tensor> one{x};
      c10d::BroadcastOptions o;
      o.rootRank = root;
      wait(TRIAGE_C10D_CHECK(pg_->broadcast(one, o), where()), "broadcast", timeout_);
    }
  }
  void barrier(Timeout timeout) override {
    const auto t = timeout.count() > 0 ? timeout : timeout_;
    // A one-element all-reduce on the backend's device: NCCL's barrier otherwise guesses a
    // device from the rank, and Gloo's honours the same per-call timeout this way.
    auto x = torch::zeros({1}, torch::TensorOptions().device(device_));
    std::vector<torch::Tensor> v{x};
    all_reduce_sum(v, t);
  }

 private:
  void wait(const c10::intrusive_ptr<c10d::Work>& w, const char* what, std::chrono::milliseconds timeout) {
    try {
      w->wait(timeout);
    } catch (const std::exception& e) {
      throw Error(describe_failure(name_, what, rank_, world_, timeout, e));
    }
  }
  std::string where() const { return name_ + " on rank " + std::to_string(rank_) + " of " + std::to_string(world_); }
  c10::intrusive_ptr<c10d::Backend> pg_;
  std::string name_;
  int rank_, world_;
  std::chrono::milliseconds timeout_;
  torch::Device device_;
  bool done_ = false;
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
  if (e.local_rank >= e.local_world_size)
    throw InputError("environment: LOCAL_RANK " + std::to_string(e.local_rank) + " must be < LOCAL_WORLD_SIZE " +
                     std::to_string(e.local_world_size));
  if (e.master_port > 65535) throw InputError("environment variable MASTER_PORT: expected a port <= 65535");
  return e;
}

std::unique_ptr<Communicator> make_single_process() { return std::make_unique<Single>(); }

void select_local_gpu(const DistEnv& env) {
#ifdef TRIAGE_WITH_NCCL
  int count = 0;
  TRIAGE_CUDA_CHECK(cudaGetDeviceCount(&count));
  if (env.local_rank >= count)
    throw InputError("LOCAL_RANK " + std::to_string(env.local_rank) + " needs GPU " + std::to_string(env.local_rank) +
                     " but this node has " + std::to_string(count) + " (one GPU per process)");
  TRIAGE_CUDA_CHECK(cudaSetDevice(env.local_rank));
#else
  (void)env;
#endif
}

std::unique_ptr<Communicator> make_communicator(const DistEnv& env, Backend backend,
                                                std::chrono::milliseconds timeout, bool cuda) {
  // A job launched with a world of one (torchrun or --nproc-per-node 1) still gets its process
  // group, as torch does: the collectives then run, and a 1-GPU NCCL job measures their cost.
  if (env.world_size <= 1 && !env.present) return make_single_process();
  const std::string name =
      backend == Backend::nccl || (backend == Backend::automatic && cuda) ? std::string("nccl") : std::string("gloo");
  if (name == "nccl" && !cuda) throw InputError("dist.backend: nccl needs run.device cuda (a GPU per process)");
  c10d::TCPStoreOptions so;
  so.port = static_cast<uint16_t>(env.master_port);
  // Under torchrun the agent already serves the store at MASTER_PORT and says so with
  // TORCHELASTIC_USE_AGENT_STORE=True: every rank is then a client (as torch's env://).
  const char* agent = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
  const bool agent_store = agent && std::string(agent) == "True";
  so.isServer = env.rank == 0 && !agent_store;
  so.numWorkers = env.world_size;
  so.waitWorkers = true;
  so.timeout = timeout;
  c10::intrusive_ptr<c10d::Store> store;
  try {
    store = c10::make_intrusive<c10d::PrefixStore>("triage",
                                                   c10::make_intrusive<c10d::TCPStore>(env.master_addr, so));
  } catch (const std::exception& e) {
    throw Error("rendezvous at " + env.master_addr + ":" + std::to_string(env.master_port) + " failed on rank " +
                std::to_string(env.rank) + " of " + std::to_string(env.world_size) + " (waited up to " +
                std::to_string(timeout.count() / 1000) + " s): " + e.what());
  }
  const std::string where = name + " process group on rank " + std::to_string(env.rank);
  if (name == "gloo") {
    auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
    // GLOO_SOCKET_IFNAME picks the network interface on multi-homed nodes (as in torch).
    const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
    if (ifname && *ifname)
      opts->devices.push_back(
          TRIAGE_C10D_CHECK(c10d::ProcessGroupGloo::createDeviceForInterface(ifname), where + " (GLOO_SOCKET_IFNAME)"));
    else
      opts->devices.push_back(TRIAGE_C10D_CHECK(c10d::ProcessGroupGloo::createDefaultDevice(), where));
    auto pg = TRIAGE_C10D_CHECK(c10::make_intrusive<c10d::ProcessGroupGloo>(store, env.rank, env.world_size, opts), where);
    return std::make_unique<C10d>(pg, "gloo", env.rank, env.world_size, timeout, torch::kCPU);
  }
#ifdef TRIAGE_WITH_NCCL
  auto opts = c10d::ProcessGroupNCCL::Options::create();
  opts->timeout = timeout;
  auto pg = TRIAGE_C10D_CHECK(c10::make_intrusive<c10d::ProcessGroupNCCL>(store, env.rank, env.world_size, opts), where);
  return std::make_unique<C10d>(pg, "nccl", env.rank, env.world_size, timeout,
                                torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(env.local_rank)));
#else
  throw InputError("dist.backend nccl: this build has no CUDA (configure with TRIAGE_WITH_CUDA=ON)");
#endif
}

}  // namespace triage::train
