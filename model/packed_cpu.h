// CPU inference with prepacked weights: each encoder layer's linear layers run as oneDNN
// inner products on weights reordered once into oneDNN's blocked layout (torch's
// mkldnn::_reorder_linear_weight / _linear_pointwise ops, the ones torch.compile's CPU
// freezing uses), with Q, K and V as one product, GELU and the residual adds fused into the
// products. At the small token counts of serving (one message: ~20-60 sub-words) the
// composite path re-packs every weight matrix on every call and is bound by that traffic.
//
// Precision fp32 (default): the composite path's arithmetic up to float rounding (the model
// test holds it to 1e-5). Precision bf16: weights, activations and attention in bfloat16
// (fp32 accumulation inside oneDNN's products; LayerNorm statistics in fp32), the output
// cast back to fp32 for the heads. Only offered where the CPU multiplies bf16 natively
// (AVX512-BF16 or AMX), where its products run about 3x faster; differences from fp32 are
// bf16's rounding (~3 significant digits). Precision int8: the four products per layer are
// fbgemm's int8 products (Int8Linear below; VNNI where the CPU has it), everything between
// them (attention, residual adds, LayerNorm, the activation) in fp32; about 2x faster than
// fp32 at one message, and results move by 8-bit quantization (entity F1 within about half a
// point on our test sets). All measured in docs/benchmarks.md.
//
// Inference only: used when the module is in eval mode, gradients are off and the input is
// on the CPU. The packed copies (the encoder layers' weights, about 42 MB for MiniLM-L6 in
// fp32, half that in bf16; int8 holds one byte per weight plus fbgemm's packing) are
// checked against the parameters' version counters on every call: once a parameter changes
// in place (an optimizer step, a load) the composite path runs until
// pack_for_cpu_inference() is called again.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/ScalarType.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

namespace triage::model {

struct BackboneImpl;

// True where the CPU multiplies bf16 natively (AVX512-BF16 or AMX-BF16, as torch's cpuinfo reports).
bool cpu_has_native_bf16();
// "fp32" -> kFloat, "bf16" -> kBFloat16, "int8" -> kQInt8 (the packed path's precisions);
// anything else throws InputError naming the value.
c10::ScalarType cpu_precision(const std::string& name);
// Empty where fbgemm's int8 products run on this CPU and libtorch without saturating (a CPU
// with VNNI: AVX512-VNNI, AVX-VNNI or AMX); else the reason.
const std::string& int8_unavailable_reason();

// y = x W^T + b with int8 weights, for precision int8. fbgemm's fast int8 product
// (at::fbgemm_linear_int8_weight_fp32_activation) quantizes its weight per tensor, and one
// scale for a whole matrix loses the rows with small weights. So each output row n is first
// divided by its largest |w| (s_n), the equalized matrix quantized (asymmetric, 8 bits) and
// packed once, and the product's output multiplied by s_n again: per-channel weight scales
// for one multiply. The bias goes in as b_n / s_n, so s_n (W'x + b/s) = Wx + b. The
// activation is quantized per call inside the op (per tensor, unsigned 8 bits from its own
// min and max: with several messages in a batch, from all of them) and the result is fp32.
class Int8Linear {
 public:
  Int8Linear(const at::Tensor& weight, const at::Tensor& bias);  // [out, in], [out]; any float dtype
  at::Tensor operator()(const at::Tensor& x) const;               // x [rows, in] fp32 -> [rows, out] fp32

 private:
  at::Tensor shape_;  // [out, in]: the op reads only the weight's sizes; a broadcast scalar holds them
  at::Tensor packed_, col_offsets_, bias_, row_scale_;
  double scale_ = 1;
  int64_t zero_point_ = 0;
};

// The version counters of the parameters a packing was built from: current() is false once
// any of them changed in place (an optimizer step, a load), so a stale packing is never used.
class ParameterVersions {
 public:
  void watch(const at::Tensor& t) {
    tensors_.push_back(t);
    versions_.push_back(t._version());
  }
  bool current() const {
    for (size_t i = 0; i < tensors_.size(); ++i)
      if (tensors_[i]._version() != versions_[i]) return false;
    return true;
  }

 private:
  std::vector<at::Tensor> tensors_;
  std::vector<int64_t> versions_;
};

class PackedCpuEncoder {
 public:
  // The packed layers of `backbone` computing in `dtype` (kFloat, kBFloat16, or kQInt8 for
  // int8), or nullptr with the reason in *why: this libtorch has no oneDNN linear ops, bf16
  // was asked on a CPU without native bf16 products, or int8 where fbgemm can't run.
  static std::unique_ptr<PackedCpuEncoder> build(BackboneImpl& backbone, std::string* why,
                                                 c10::ScalarType dtype = c10::ScalarType::Float);
  c10::ScalarType dtype() const { return dtype_; }
  // True while no packed parameter has changed since build().
  bool current() const { return versions_.current(); }
  // x: embeddings output [batch, seq, hidden]; attn_mask: [batch, 1, 1, seq] bool or
  // undefined (nothing padded). Returns the last layer's hidden states [batch, seq, hidden].
  at::Tensor forward(const at::Tensor& x, const at::Tensor& attn_mask) const;
  // Forward passes run so far (tests check the path is taken).
  int64_t calls() const { return calls_.load(std::memory_order_relaxed); }

  struct Layer;

 private:
  PackedCpuEncoder() = default;
  std::vector<std::shared_ptr<Layer>> layers_;
  ParameterVersions versions_;  // the parameters packed
  int64_t heads_ = 0, head_dim_ = 0;
  c10::ScalarType dtype_ = c10::ScalarType::Float;
  mutable std::atomic<int64_t> calls_{0};
};

// The families with their own blocks (deberta.h, modernbert.h) keep one forward code for
// training and inference: each of their linear layers multiplies through linear() below,
// which takes the layer's weight prepacked for oneDNN while a PackedLinearScope holding it is
// active on the calling thread, and the module itself otherwise (training, gradients, CUDA,
// a stale packing). fp32 only: their packed path is the composite arithmetic up to float
// rounding, with the packing traffic gone.
class PackedLinears {
 public:
  // `layers` (null entries skipped) reordered once; `also`: other parameters the family
  // derives packed state from (DeBERTa's projected relative embeddings), whose changes make it
  // stale too. nullptr with the reason in *why: no oneDNN here, a dtype other than fp32, or
  // parameters that are not fp32 on the CPU.
  static std::unique_ptr<PackedLinears> build(const std::vector<torch::nn::Linear>& layers,
                                              const std::vector<at::Tensor>& also, c10::ScalarType dtype,
                                              std::string* why);
  // True while no packed or `also` parameter has changed since build().
  bool current() const { return versions_.current(); }
  // layer(x) on its packed weight (x [..., in] -> [..., out]); undefined when `layer` is not
  // one of those packed.
  at::Tensor apply(const torch::nn::LinearImpl& layer, const at::Tensor& x) const;
  // Forward passes that took the packed path (tests check it is taken).
  int64_t calls() const { return calls_.load(std::memory_order_relaxed); }

 private:
  friend class PackedLinearScope;
  struct Weight {
    at::Tensor w;
    std::optional<at::Tensor> b;
  };
  PackedLinears() = default;
  std::unordered_map<const torch::nn::LinearImpl*, Weight> weights_;
  ParameterVersions versions_;
  mutable std::atomic<int64_t> calls_{0};
};

// While alive, linear() on this thread uses `packed`, if it may serve this forward: the owner
// in eval mode, gradients off, the input on the CPU and the packing current; else nothing is
// packed (the composite path). Scopes nest; each restores the previous one.
class PackedLinearScope {
 public:
  PackedLinearScope(const PackedLinears* packed, const torch::nn::Module& owner, const at::Tensor& input);
  ~PackedLinearScope();
  PackedLinearScope(const PackedLinearScope&) = delete;
  PackedLinearScope& operator=(const PackedLinearScope&) = delete;
  // The packing this forward takes, or nullptr.
  const PackedLinears* active() const { return active_; }

 private:
  const PackedLinears* active_;
  const PackedLinears* previous_;
};

// layer(x), through its packed weight where the calling thread's scope holds one.
at::Tensor linear(torch::nn::Linear& layer, const at::Tensor& x);

}  // namespace triage::model
