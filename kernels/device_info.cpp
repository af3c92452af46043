// CPU side of device_info(): the build configuration without CUDA.
#include "kernels/device_info.h"

namespace triage::kernels {

#ifndef TRIAGE_WITH_CUDA
DeviceInfo device_info() { return {}; }
#endif

}  // namespace triage::kernels
