// Helpers for the autograd wrappers: dtype mapping with errors that name the tensor, the
// CUDA stream and device guard for a tensor, dropout seeds from torch's generator, and the
// fp32 staging of the CPU (reference) path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <ATen/core/Tensor.h>

#include "kernels/common/dtype.h"

namespace triage::kernels::detail {

// F32 or BF16; anything else throws naming the op and tensor ("bias_gelu: x is Half, ...").
DType kernel_dtype(const at::Tensor& t, const char* op, const char* name);
// Throws unless t is defined, on `device`, of dtype `dtype` when given, and contiguous.
void check_tensor(const at::Tensor& t, const char* op, const char* name, const at::Device& device,
                  std::optional<at::ScalarType> dtype = std::nullopt);
// Throws: this build has no CUDA kernels (TRIAGE_WITH_CUDA=OFF).
[[noreturn]] void no_cuda(const char* op);
// Seed for a dropout mask: from torch's default CPU generator, so torch::manual_seed makes
// runs reproducible; drawn on the host, so no device synchronisation.
uint64_t dropout_seed();
// Contiguous fp32 copy on the CPU (the reference path computes in fp32).
at::Tensor f32(const at::Tensor& t);

#ifdef TRIAGE_WITH_CUDA
// The current CUDA stream of t's device, as cudaStream_t (opaque here to keep CUDA headers out).
void* stream_of(const at::Tensor& t);
// Makes t's device current for the lifetime of the guard.
class DeviceGuard {
 public:
  explicit DeviceGuard(const at::Tensor& t);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = -1;
};
#endif

}  // namespace triage::kernels::detail
