// Which implementation the model's forward uses: the fused kernels of this folder or the
// composite torch ops. Config key `model.kernels: auto|fused|torch`; auto = fused on CUDA,
// torch on the CPU (where "fused" runs the fp32 references: correct, but slow).
#pragma once

#include <string>
#include <string_view>

namespace triage::kernels {

enum class KernelMode { Auto, Fused, Torch };

// "auto", "fused" or "torch"; anything else throws std::invalid_argument naming the choices.
KernelMode parse_kernel_mode(std::string_view text);
std::string to_string(KernelMode mode);
// Whether a forward on a tensor of that device kind runs the fused kernels.
inline bool use_fused(KernelMode mode, bool on_cuda) {
  return mode == KernelMode::Fused || (mode == KernelMode::Auto && on_cuda);
}

}  // namespace triage::kernels
