// What the build was compiled for and what the machine has: CUDA on or off, the CUDA
// architectures compiled in, and the number of visible devices (0 without a GPU).
#pragma once

#include <string>

namespace triage::kernels {

struct DeviceInfo {
  bool built_with_cuda = false;
  std::string architectures;  // e.g. "80;90", empty without CUDA
  int device_count = 0;       // visible CUDA devices; 0 when none or no driver
  std::string error;          // why device_count is 0 when CUDA was built in
};

DeviceInfo device_info();

}  // namespace triage::kernels
