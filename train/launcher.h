// `triage-train --nproc-per-node N`: runs N copies of this executable on this machine as
// ranks 0..N-1 of one job, with the environment torchrun gives its workers (RANK,
// LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT, OMP_NUM_THREADS).
// SIGINT/SIGTERM are forwarded to the workers; when one exits abnormally the launcher logs
// which rank and how, stops the others (SIGTERM, then SIGKILL after a grace period) and
// returns non-zero. Workers die with the launcher (PR_SET_PDEATHSIG).
#pragma once

#include <string>
#include <vector>

namespace triage::train {

struct LaunchOptions {
  int nproc = 1;
  std::vector<std::string> args;  // the workers' arguments (argv[1..] without --nproc-per-node)
  std::string master_addr = "127.0.0.1";
  int master_port = 0;            // 0: MASTER_PORT from the environment, else a free port
  double grace_s = 10;            // SIGTERM -> SIGKILL delay when stopping the others
};

// Returns the exit code for the launcher: 0 when every rank exited 0; otherwise the first
// failing rank's exit code, or 1 when it was killed by a signal.
int launch_local(const LaunchOptions& options);

// argv[1..] without "--nproc-per-node N" / "--nproc-per-node=N" (and the underscore form).
std::vector<std::string> strip_nproc_arg(int argc, char** argv);

}  // namespace triage::train
