// Helpers for the autograd wrappers (see torch_util.h).
#include "kernels/common/torch_util.h"

#include <mutex>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <c10/util/Exception.h>

#ifdef TRIAGE_WITH_CUDA
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace triage::kernels::detail {

DType kernel_dtype(const at::Tensor& t, const char* op, const char* name) {
  if (t.scalar_type() == at::kFloat) return DType::F32;
  if (t.scalar_type() == at::kBFloat16) return DType::BF16;
  TORCH_CHECK(false, op, ": ", name, " is ", t.scalar_type(), "; the fused kernels take Float or BFloat16");
}

void check_tensor(const at::Tensor& t, const char* op, const char* name, const at::Device& device,
                  std::optional<at::ScalarType> dtype) {
  TORCH_CHECK(t.defined(), op, ": ", name, " is undefined");
  TORCH_CHECK(t.device() == device, op, ": ", name, " is on ", t.device(), ", expected ", device);
  if (dtype) TORCH_CHECK(t.scalar_type() == *dtype, op, ": ", name, " is ", t.scalar_type(), ", expected ", *dtype);
  TORCH_CHECK(t.is_contiguous(), op, ": ", name, " must be contiguous");
}

void no_cuda(const char* op) {
  TORCH_CHECK(false, op, ": got CUDA tensors but triage was built without CUDA kernels "
                         "(TRIAGE_WITH_CUDA=OFF); rebuild with CUDA or use kernels=torch");
}

uint64_t dropout_seed() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get<at::CPUGeneratorImpl>()->random64();
}

at::Tensor f32(const at::Tensor& t) { return t.to(at::kFloat).contiguous(); }

#ifdef TRIAGE_WITH_CUDA
void* stream_of(const at::Tensor& t) {
  return static_cast<void*>(c10::cuda::getCurrentCUDAStream(t.device().index()).stream());
}

DeviceGuard::DeviceGuard(const at::Tensor& t) {
  previous_ = c10::cuda::current_device();
  if (t.device().index() != previous_) c10::cuda::set_device(t.device().index());
}
DeviceGuard::~DeviceGuard() {
  if (previous_ >= 0 && c10::cuda::current_device() != previous_) c10::cuda::set_device(previous_);
}
#endif

}  // namespace triage::kernels::detail
