// The trainer's view of its peers: all-reduce, broadcast, barrier. Three implementations
// behind one interface: single-process, Gloo (c10d::ProcessGroupGloo, CPU) and NCCL
// (c10d::ProcessGroupNCCL, one GPU per LOCAL_RANK), with rendezvous through c10d::TCPStore
// from the environment torchrun, SLURM wrappers and Kubernetes operators set.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

namespace triage::train {

// RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT.
struct DistEnv {
  bool present = false;  // WORLD_SIZE set (launched by torchrun / --nproc-per-node / SLURM)
  int rank = 0, world_size = 1, local_rank = 0, local_world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
};
// Reads the standard variables; InputError naming the variable when one is malformed.
DistEnv read_dist_env();

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  virtual std::string backend() const = 0;  // "single", "gloo", "nccl"
  // Sums in place across ranks (tensors on the backend's device). Throws Error naming the
  // collective and the peer state on timeout or failure.
  virtual void all_reduce_sum(std::vector<torch::Tensor>& tensors) = 0;
  virtual void broadcast(std::vector<torch::Tensor>& tensors, int root) = 0;
  virtual void barrier() = 0;
  bool is_root() const { return rank() == 0; }
};

std::unique_ptr<Communicator> make_single_process();
// backend: "gloo", "nccl" or "auto" (nccl when device is CUDA, else gloo). timeout bounds
// every collective and the rendezvous: a dead rank makes the others fail, not hang.
std::unique_ptr<Communicator> make_communicator(const DistEnv& env, const std::string& backend,
                                                std::chrono::milliseconds timeout, bool cuda);

}  // namespace triage::train
