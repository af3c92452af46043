// Raw entry points of multi-tensor AdamW (contract in adamw.h): the fp32 reference and the
// CUDA launcher over a table of tensors. Torch- and CUDA-free.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/common/dtype.h"
#include "kernels/common/math.h"

namespace triage::kernels {

// One tensor of the step. The update reads and writes `master` when set (fp32), else `param`
// (then fp32); with a master, `param` receives the rounded master.
struct AdamWTensor {
  void* param;
  const void* grad;
  float* exp_avg;
  float* exp_avg_sq;
  float* master;        // may be null
  int64_t numel;
  int64_t chunk_begin;  // filled by the launcher: prefix sum of chunks
  int32_t param_bf16;   // param is BFloat16 (else Float)
  int32_t grad_bf16;    // grad is BFloat16 (else Float)
  int32_t decay;        // apply weight decay
  int32_t unused;
};

// Scalars of step `step` (>= 1), computed in double as torch does, then rounded to float.
AdamWScalars adamw_scalars(int64_t step, double lr, double beta1, double beta2, double eps, double weight_decay);

namespace ref {
// Every tensor fp32 (param or master, grad, moments): p, g, m, v of numel elements.
void adamw_tensor(float* p, const float* g, float* m, float* v, int64_t numel, const AdamWScalars& s, bool decay);
}  // namespace ref
namespace gpu {
// Bytes of the device table for n tensors (the caller allocates it on the device).
int64_t adamw_table_bytes(int64_t n);
// tensors: host array (chunk_begin is filled in); device_table: adamw_table_bytes(n) bytes.
void adamw_step(AdamWTensor* tensors, int64_t n, void* device_table, const AdamWScalars& s, void* stream);
}  // namespace gpu
}  // namespace triage::kernels
