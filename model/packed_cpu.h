// CPU inference with prepacked weights: each encoder layer's linear layers run as oneDNN
// inner products on weights reordered once into oneDNN's blocked layout (torch's
// mkldnn::_reorder_linear_weight / _linear_pointwise ops, the ones torch.compile's CPU
// freezing uses), with Q, K and V as one product, GELU and the residual adds fused into the
// products. At the small token counts of serving (one message: ~20-60 sub-words) the
// composite path re-packs every weight matrix on every call and is bound by that traffic.
//
// Same arithmetic as the composite path up to float rounding (fp32 throughout; the model
// test holds it to 1e-5). Inference only: used when the module is in eval mode, gradients
// are off and the input is on the CPU. The packed copies (the encoder layers' weights, about
// 42 MB for MiniLM-L6) are checked against the parameters' version counters on every call:
// once a parameter changes in place (an optimizer step, a load) the composite path runs
// until pack_for_cpu_inference() is called again.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace triage::model {

struct BackboneImpl;

class PackedCpuEncoder {
 public:
  // The packed layers of `backbone`, or nullptr with the reason in *why: this libtorch has no
  // oneDNN linear ops, or the activation has no oneDNN post-op.
  static std::unique_ptr<PackedCpuEncoder> build(BackboneImpl& backbone, std::string* why);
  // True while no packed parameter has changed since build().
  bool current() const;
  // x: embeddings output [batch, seq, hidden]; attn_mask: [batch, 1, 1, seq] bool or
  // undefined (nothing padded). Returns the last layer's hidden states [batch, seq, hidden].
  at::Tensor forward(const at::Tensor& x, const at::Tensor& attn_mask) const;
  // Forward passes run so far (tests check the path is taken).
  int64_t calls() const { return calls_.load(std::memory_order_relaxed); }

  struct Layer;

 private:
  PackedCpuEncoder() = default;
  std::vector<std::shared_ptr<Layer>> layers_;
  std::vector<at::Tensor> sources_;  // the parameters packed, for current()
  std::vector<int64_t> versions_;
  int64_t heads_ = 0, head_dim_ = 0;
  mutable std::atomic<int64_t> calls_{0};
};

}  // namespace triage::model
