// KernelMode parsing (see kernel_mode.h).
#include "kernels/kernel_mode.h"

#include <stdexcept>

namespace triage::kernels {

KernelMode parse_kernel_mode(std::string_view text) {
  if (text == "auto") return KernelMode::Auto;
  if (text == "fused") return KernelMode::Fused;
  if (text == "torch") return KernelMode::Torch;
  throw std::invalid_argument("model.kernels: expected auto, fused or torch, found '" + std::string(text) + "'");
}

std::string to_string(KernelMode mode) {
  switch (mode) {
    case KernelMode::Fused: return "fused";
    case KernelMode::Torch: return "torch";
    case KernelMode::Auto: break;
  }
  return "auto";
}

}  // namespace triage::kernels
