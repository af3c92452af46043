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

#include "train/train_config.h"

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

// A collective in flight. wait() blocks until it is done (NCCL: until the current CUDA
// stream is ordered after it) and throws Error naming the collective on failure/timeout.
class PendingWork {
 public:
  virtual ~PendingWork() = default;
  virtual void wait() = 0;
};

class Communicator {
 public:
  // timeout 0 in the calls below: the communicator's own (dist.timeout_s).
  using Timeout = std::chrono::milliseconds;
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  virtual std::string backend() const = 0;  // "single", "gloo", "nccl"
  // Sums in place across ranks. Tensors live on the backend's device (CPU for Gloo, this
  // rank's GPU for NCCL), may differ in shape and dtype, and must be contiguous.
  virtual void all_reduce_sum(std::vector<torch::Tensor>& tensors, Timeout timeout = Timeout{0}) = 0;
  // One contiguous tensor, summed in place once the returned work is waited for.
  virtual std::unique_ptr<PendingWork> all_reduce_sum_async(torch::Tensor& tensor) = 0;
  virtual void broadcast(std::vector<torch::Tensor>& tensors, int root) = 0;
  virtual void barrier(Timeout timeout = Timeout{0}) = 0;
  // Ends the process group once every collective is done (torch's destroy_process_group);
  // a group destroyed without it (an error path) is aborted instead.
  virtual void shutdown() {}
  bool is_root() const { return rank() == 0; }
};

std::unique_ptr<Communicator> make_single_process();
// backend: gloo, nccl or auto (nccl when device is CUDA, else gloo). timeout bounds every
// collective and the rendezvous: a dead rank makes the others fail, not hang.
std::unique_ptr<Communicator> make_communicator(const DistEnv& env, Backend backend,
                                                std::chrono::milliseconds timeout, bool cuda);

// Selects this process's GPU (cudaSetDevice(local_rank), checked); InputError when the
// node has fewer GPUs than LOCAL_WORLD_SIZE asks for. No-op in a build without CUDA.
void select_local_gpu(const DistEnv& env);

}  // namespace triage::train
