// The one set of check macros for calls into CUDA (kernel launches and the runtime calls of
// kernels/ and train/) and c10d (whose NCCL process group wraps every NCCL call): a failure
// throws triage::Error naming the call as written, the file and the line, and the library's
// own message. Plain C++: .cu files include it too (through kernels/common/cuda_utils.cuh).
#pragma once

#include <string>

#include "core/error.h"

#define TRIAGE_CHECK_STR2(x) #x
#define TRIAGE_CHECK_STR(x) TRIAGE_CHECK_STR2(x)
#define TRIAGE_CALL_SITE(call) (std::string(call) + " at " __FILE__ ":" TRIAGE_CHECK_STR(__LINE__))

// A cudaError_t-returning call (only in TUs that include cuda_runtime_api.h).
#define TRIAGE_CUDA_CHECK(call)                                                                   \
  do {                                                                                            \
    const cudaError_t triage_cuda_status_ = (call);                                               \
    if (triage_cuda_status_ != cudaSuccess)                                                       \
      throw ::triage::Error(TRIAGE_CALL_SITE(#call) + " failed: " +                               \
                            cudaGetErrorName(triage_cuda_status_) + ": " +                        \
                            cudaGetErrorString(triage_cuda_status_));                             \
  } while (0)

// A c10d call (process-group construction, collective launch, work wait): c10d throws
// c10::Error / c10::DistBackendError with the NCCL or Gloo status; this adds where.
#define TRIAGE_C10D_CHECK(call, context)                                                          \
  [&]() {                                                                                          \
    try {                                                                                         \
      return (call);                                                                              \
    } catch (const std::exception& triage_c10d_error_) {                                          \
      throw ::triage::Error(std::string(context) + ": " + TRIAGE_CALL_SITE(#call) + " failed: " + \
                            triage_c10d_error_.what());                                           \
    }                                                                                             \
  }()
