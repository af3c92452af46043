// Multi-tensor AdamW: one optimizer step over every parameter tensor in a single CUDA launch
// (plus one host-to-device copy of the tensor table), torch.optim.AdamW's arithmetic
// (decoupled weight decay, bias-corrected moments; kernels/common/math.h adamw_update).
//
// Contract (all tensors on one device, contiguous; updated in place, outside autograd)
//   params[i]      Float, or BFloat16 when master_params is given
//   grads[i]       Float or BFloat16, params[i]'s shape; an undefined grad skips tensor i
//                  (its state is left untouched, as torch does)
//   exp_avg[i], exp_avg_sq[i]   Float, params[i]'s shape: the first and second moments
//   master_params  empty, or one Float tensor per param (fp32 master weights): the update is
//                  computed on the master, then params[i] = master rounded to params' dtype
//                  (round to nearest even for bf16)
//   step           the step number after incrementing (1 on the first step)
//   decay          one flag per tensor: apply weight_decay to it (biases and LayerNorm
//                  weights usually not); empty = every tensor decays
// All moments and the arithmetic are fp32. The CPU path runs the same per-element function.
// Tests: KernelParity.AdamW in tests/kernels/kernel_parity.h, one body run as the C++
// reference against torch (kernels_test) and as CUDA against the reference (kernels_gpu_test,
// ctest label gpu); FusedOps.AdamWMatchesTorchOptim in kernels_test.cpp.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

namespace triage::kernels {

void adamw_step(at::TensorList params, at::TensorList grads, at::TensorList exp_avg, at::TensorList exp_avg_sq,
                int64_t step, double lr, double beta1, double beta2, double eps, double weight_decay,
                const std::vector<bool>& decay = {}, at::TensorList master_params = {});

}  // namespace triage::kernels
