// CUDA side of device_info(): a device-side probe compiled for every target architecture,
// so every build checks that nvcc, the architectures and the CUDA runtime link work.
#include <cuda_runtime.h>

#include "kernels/device_info.h"

namespace triage::kernels {
namespace {
__global__ void arch_probe(int* out) {
#ifdef __CUDA_ARCH__
  *out = __CUDA_ARCH__;
#endif
}
}  // namespace

DeviceInfo device_info() {
  DeviceInfo info;
  info.built_with_cuda = true;
  info.architectures = TRIAGE_CUDA_ARCHS;
  int n = 0;
  const cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) {
    info.error = std::string("cudaGetDeviceCount: ") + cudaGetErrorString(err);
    return info;
  }
  info.device_count = n;
  if (n > 0) {  // make sure a kernel for this device's architecture is in the binary
    int* d = nullptr;
    if (cudaMalloc(&d, sizeof(int)) == cudaSuccess) {
      arch_probe<<<1, 1>>>(d);
      const cudaError_t e = cudaDeviceSynchronize();
      if (e != cudaSuccess) info.error = std::string("arch_probe: ") + cudaGetErrorString(e);
      cudaFree(d);
    }
  }
  return info;
}

}  // namespace triage::kernels
