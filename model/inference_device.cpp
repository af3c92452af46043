#include "model/inference_device.h"

#include <torch/torch.h>

#include "core/error.h"
#include "kernels/device_info.h"

namespace triage::model {

c10::Device parse_device(const std::string& value, const std::string& key) {
  if (value == "cpu") return c10::Device(c10::kCPU);
  int64_t index = 0;
  if (value.rfind("cuda", 0) != 0 || (value.size() > 4 && value[4] != ':'))
    throw InputError(key + ": '" + value + "' is not a device (cpu, cuda or cuda:N)");
  if (value.size() > 4) {
    const std::string n = value.substr(5);
    if (n.empty() || n.size() > 3 || n.find_first_not_of("0123456789") != std::string::npos)
      throw InputError(key + ": '" + value + "' is not a device (cpu, cuda or cuda:N with N a device index)");
    index = std::stoll(n);
  }
  const auto info = kernels::device_info();
  if (info.device_count == 0) {
    std::string why = !info.built_with_cuda ? "this build has no CUDA" : info.error.empty() ? "none visible" : info.error;
    throw InputError(key + ": " + value + ": no CUDA device is available (" + why + "); use cpu");
  }
  if (index >= info.device_count)
    throw InputError(key + ": " + value + ": device " + std::to_string(index) + " is not visible (" +
                     std::to_string(info.device_count) + " CUDA device(s): 0-" +
                     std::to_string(info.device_count - 1) + ")");
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

std::string resolve_precision(const std::string& precision, const c10::Device& device, const std::string& key) {
  if (device.is_cpu()) {
    if (precision == "auto") return "fp32";
    if (precision == "fp32" || precision == "bf16" || precision == "int8") return precision;
    throw InputError(key + ": '" + precision + "' on the CPU; expected auto, fp32, bf16 or int8" +
                     (precision == "fp16" ? " (fp16 runs on CUDA)" : ""));
  }
  if (precision == "auto") return "bf16";
  if (precision == "fp32" || precision == "bf16" || precision == "fp16") return precision;
  throw InputError(key + ": '" + precision + "' on CUDA; expected auto, fp32, bf16 or fp16" +
                   (precision == "int8" ? " (int8 is the CPU's fbgemm path)" : ""));
}

Placement place_for_inference(TokenClassifierImpl& m, const c10::Device& device, const std::string& precision,
                              bool packed, const std::string& precision_key) {
  Placement p;
  p.precision = resolve_precision(precision, device, precision_key);
  m.eval();
  if (device.is_cpu()) {
    if (packed) {
      std::string why;
      p.packed = m.pack_for_cpu_precision(p.precision, precision_key, &why);
      if (!p.packed) p.precision = "fp32";
    } else if (p.precision != "fp32") {
      throw InputError(precision_key + ": " + p.precision +
                       " runs on the packed CPU path; set runtime.packed_weights true (triage-serve) or use fp32");
    }
    p.compute_path = m.cpu_compute_path();
    return p;
  }
  m.drop_cpu_packing();
  const auto dtype = p.precision == "bf16" ? torch::kBFloat16 : p.precision == "fp16" ? torch::kHalf : torch::kFloat;
  m.to(device, dtype);
  p.compute_path = device.str() + " " + p.precision + " (SDPA attention)";
  return p;
}

}  // namespace triage::model
