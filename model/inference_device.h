// Where inference runs and in what precision (issue 20): triage-serve's runtime.device and
// runtime.precision, triage-eval's and triage-model's --device and --precision. One setup for
// all three: parse the device, resolve the precision for it, place the model.
//
//   device     cpu (default) | cuda | cuda:N
//   precision  auto: fp32 on the CPU, bf16 on CUDA (Ampere and later multiply bf16 natively;
//              older GPUs: ask for fp16)
//              CPU:  fp32 | bf16 | int8 - the packed oneDNN path (model/packed_cpu.h)
//              CUDA: fp32 | bf16 | fp16 - the model's weights cast; SDPA attention; the
//                    heads' outputs are read in fp32 (the predictor casts before softmax)
#pragma once

#include <string>

#include <c10/core/Device.h>

#include "model/encoder.h"

namespace triage::model {

// InputError naming `key` for anything but cpu | cuda | cuda:N, and for a CUDA device this
// process cannot see (none visible, no driver, a build without CUDA, or N past the count).
c10::Device parse_device(const std::string& value, const std::string& key);

// The concrete precision for `device` ("auto" resolved); InputError naming `key` for a
// precision that device does not run (int8 on CUDA, fp16 on the CPU, unknown names).
std::string resolve_precision(const std::string& precision, const c10::Device& device, const std::string& key);

struct Placement {
  std::string precision;     // resolved
  bool packed = false;       // the CPU's prepacked path serves the model
  std::string compute_path;  // "packed (oneDNN prepacked weights)", "composite torch ops (...)" or "cuda:N bf16"
};

// The model in eval mode on `device` in `precision` (resolved as above). On the CPU with
// `packed`: prepacked (fp32 may fall back to torch's ops with the reason; bf16/int8 never
// fall back: InputError naming precision_key). On CUDA: moved and cast.
Placement place_for_inference(TokenClassifierImpl& m, const c10::Device& device, const std::string& precision,
                              bool packed, const std::string& precision_key);

}  // namespace triage::model
