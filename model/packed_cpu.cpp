// CPU inference with prepacked oneDNN weights (see packed_cpu.h).
#include "model/packed_cpu.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/cpu/Utils.h>
#include <c10/util/Exception.h>
#include <torch/torch.h>

#include "core/error.h"
#include "model/encoder.h"

namespace triage::model {
namespace {

using LinearFn = at::Tensor(const at::Tensor&, const at::Tensor&, const std::optional<at::Tensor>&, std::string_view,
                            c10::List<std::optional<c10::Scalar>>, std::optional<std::string_view>);
using LinearAddFn = at::Tensor(const at::Tensor&, const at::Tensor&, const at::Tensor&, const std::optional<at::Tensor>&,
                               std::string_view);

// torch's oneDNN linear ops, looked up once; unset when this libtorch lacks them.
struct Ops {
  std::optional<c10::OperatorHandle> reorder;
  std::optional<c10::TypedOperatorHandle<LinearFn>> linear;
  std::optional<c10::TypedOperatorHandle<LinearAddFn>> linear_add;
  std::string missing;
};

const Ops& ops() {
  static const Ops o = [] {
    Ops r;
    if (!at::hasMKLDNN()) {
      r.missing = "this libtorch was built without oneDNN";
      return r;
    }
    auto& d = c10::Dispatcher::singleton();
    try {
      r.reorder = d.findSchemaOrThrow("mkldnn::_reorder_linear_weight", "");
      r.linear = d.findSchemaOrThrow("mkldnn::_linear_pointwise", "").typed<LinearFn>();
      r.linear_add = d.findSchemaOrThrow("mkldnn::_linear_pointwise", "binary").typed<LinearAddFn>();
    } catch (const std::exception& e) {
      r = Ops{};
      r.missing = std::string("torch's oneDNN linear ops are unavailable: ") + e.what();
    }
    return r;
  }();
  return o;
}

at::Tensor reorder(const at::Tensor& weight, c10::ScalarType dtype) {
  std::vector<c10::IValue> stack{weight.detach().to(dtype).contiguous(), c10::IValue()};
  ops().reorder->callBoxed(&stack);
  return stack.at(0).toTensor();
}

// torch 2.11 marks the fbgemm_* ops deprecated (TORCH_WARN_ONCE on first use). That note is for
// Python users of torch.jit quantization; the ops are the ones quantize_dynamic's legacy path
// runs, and we pin torch, so the note is dropped instead of reaching the server's log.
class DropDeprecation : public c10::WarningHandler {
 public:
  explicit DropDeprecation(c10::WarningHandler* next) : next_(next) {}
  void process(const c10::Warning& w) override {
    if (w.msg().find("deprecated") == std::string::npos) next_->process(w);
  }

 private:
  c10::WarningHandler* next_;
};

bool cpu_flag(const char* name) {
  static const auto caps = at::cpu::get_cpu_capabilities();
  auto it = caps.find(name);
  return it != caps.end() && it->second.isBool() && it->second.toBool();
}

}  // namespace

// The first call also spends the deprecation notes (once per process) under DropDeprecation.
const std::string& int8_unavailable_reason() {
  static const std::string why = []() -> std::string {
    // Without VNNI, fbgemm multiplies u8 x s8 with AVX2's vpmaddubsw, whose int16 pair sums
    // saturate at full-range activations: test Int8Linear measured a per-column RMS error of
    // 0.26 of the product on an AVX2-only EPYC (0.029 with VNNI). torch's own dynamic
    // quantization avoids it by
    // reducing the activation range; fbgemm's fused op here takes none, so int8 is refused.
    if (!cpu_flag("avx512_vnni") && !cpu_flag("avx_vnni") && !cpu_flag("amx_int8"))
      return "int8 needs a CPU with VNNI products (AVX512-VNNI, AVX-VNNI or AMX); on this one fbgemm's AVX2 "
             "products saturate";
    DropDeprecation drop(c10::WarningUtils::get_warning_handler());
    c10::WarningUtils::WarningHandlerGuard guard(&drop);
    try {
      auto w = at::ones({4, 8});
      auto [q, col_offsets, scale, zero_point] = at::fbgemm_linear_quantize_weight(w);
      auto packed = at::fbgemm_pack_quantized_matrix(q);
      (void)at::fbgemm_linear_int8_weight_fp32_activation(at::ones({2, 8}), q, packed, col_offsets, scale, zero_point,
                                                           at::zeros({4}));
    } catch (const std::exception& e) {
      std::string m = e.what();
      return "fbgemm's int8 products are unavailable (" + m.substr(0, m.find('\n')) + ")";
    }
    return "";
  }();
  return why;
}

bool cpu_has_native_bf16() { return cpu_flag("avx512_bf16") || cpu_flag("amx_bf16"); }

c10::ScalarType cpu_precision(const std::string& name) {
  if (name == "fp32") return at::kFloat;
  if (name == "bf16") return at::kBFloat16;
  if (name == "int8") return at::kQInt8;
  throw InputError("precision: expected fp32, bf16 or int8, found '" + name + "'");
}

Int8Linear::Int8Linear(const at::Tensor& weight, const at::Tensor& bias) {
  if (!int8_unavailable_reason().empty()) throw Error(int8_unavailable_reason());
  const auto w = weight.detach().to(at::kFloat).contiguous();
  row_scale_ = w.abs().amax({1});
  row_scale_.masked_fill_(row_scale_ == 0, 1.0);
  auto [q, col_offsets, scale, zero_point] = at::fbgemm_linear_quantize_weight(w / row_scale_.unsqueeze(1));
  packed_ = at::fbgemm_pack_quantized_matrix(q);
  shape_ = at::zeros({1, 1}, at::kChar).expand({q.size(0), q.size(1)});
  col_offsets_ = col_offsets;
  scale_ = scale;
  zero_point_ = zero_point;
  bias_ = (bias.detach().to(at::kFloat) / row_scale_).contiguous();
}

at::Tensor Int8Linear::operator()(const at::Tensor& x) const {
  return at::fbgemm_linear_int8_weight_fp32_activation(x, shape_, packed_, col_offsets_, scale_, zero_point_, bias_)
      .mul_(row_scale_);
}

struct PackedCpuEncoder::Layer {
  at::Tensor qkv_w, qkv_b, out_w, out_b, inter_w, inter_b, down_w, down_b;
  at::Tensor ln1_w, ln1_b, ln2_w, ln2_b;
  double ln1_eps = 1e-12, ln2_eps = 1e-12;
  std::string act_attr, act_algorithm;  // oneDNN post-op of the intermediate product
  std::optional<Int8Linear> qkv8, out8, inter8, down8;  // precision int8: these instead of *_w/*_b
};

std::unique_ptr<PackedCpuEncoder> PackedCpuEncoder::build(BackboneImpl& backbone, std::string* why,
                                                          c10::ScalarType dtype) {
  const auto fail = [&](std::string reason) -> std::unique_ptr<PackedCpuEncoder> {
    if (why) *why = std::move(reason);
    return nullptr;
  };
  const bool int8 = dtype == at::kQInt8;
  if (!int8 && !ops().missing.empty()) return fail(ops().missing);  // int8 runs on fbgemm, not oneDNN
  if (backbone.layers.empty()) return fail("the model has no encoder layers");
  if (dtype != at::kFloat && dtype != at::kBFloat16 && !int8)
    return fail(std::string("packing computes in float32, bfloat16 or int8, not ") + c10::toString(dtype));
  if (dtype == at::kBFloat16 && !cpu_has_native_bf16())
    return fail("bf16 needs a CPU with native bf16 products (AVX512-BF16 or AMX); this one has neither");
  if (int8 && !int8_unavailable_reason().empty()) return fail(int8_unavailable_reason());
  std::unique_ptr<PackedCpuEncoder> p(new PackedCpuEncoder());
  p->dtype_ = dtype;
  const auto cast = [&](const at::Tensor& t) { return t.detach().to(int8 ? at::kFloat : dtype); };
  p->heads_ = backbone.layers.front()->heads;
  p->head_dim_ = backbone.layers.front()->head_dim;
  torch::NoGradGuard no_grad;
  for (auto& l : backbone.layers) {
    auto L = std::make_shared<Layer>();
    if (l->act == "gelu") {
      L->act_attr = "gelu", L->act_algorithm = "none";  // exact erf form, as torch::gelu
    } else if (l->act == "relu") {
      L->act_attr = "relu";
    } else {
      L->act_attr = "gelu", L->act_algorithm = "tanh";  // gelu_new, gelu_pytorch_tanh
    }
    auto& sa = l->attention->self;
    auto& ao = l->attention->output;
    auto& inter = l->intermediate->dense;
    auto& out = l->output;
    for (const auto* t : {&sa->query->weight, &sa->key->weight, &sa->value->weight, &sa->query->bias, &sa->key->bias,
                          &sa->value->bias, &ao->dense->weight, &ao->dense->bias, &inter->weight, &inter->bias,
                          &out->dense->weight, &out->dense->bias, &ao->LayerNorm->weight, &ao->LayerNorm->bias,
                          &out->LayerNorm->weight, &out->LayerNorm->bias}) {
      if (!t->device().is_cpu() || t->scalar_type() != at::kFloat)
        return fail("packing needs fp32 CPU parameters, found " + std::string(c10::toString(t->scalar_type())) +
                    " on " + t->device().str());
      p->versions_.watch(*t);
    }
    const auto qkv_w = torch::cat({sa->query->weight, sa->key->weight, sa->value->weight});
    const auto qkv_b = torch::cat({sa->query->bias, sa->key->bias, sa->value->bias});
    if (int8) {
      L->qkv8 = Int8Linear(qkv_w, qkv_b);
      L->out8 = Int8Linear(ao->dense->weight, ao->dense->bias);
      L->inter8 = Int8Linear(inter->weight, inter->bias);
      L->down8 = Int8Linear(out->dense->weight, out->dense->bias);
    } else {
      L->qkv_w = reorder(qkv_w, dtype);
      L->qkv_b = cast(qkv_b);
      L->out_w = reorder(ao->dense->weight, dtype);
      L->out_b = cast(ao->dense->bias);
      L->inter_w = reorder(inter->weight, dtype);
      L->inter_b = cast(inter->bias);
      L->down_w = reorder(out->dense->weight, dtype);
      L->down_b = cast(out->dense->bias);
    }
    L->ln1_w = cast(ao->LayerNorm->weight);
    L->ln1_b = cast(ao->LayerNorm->bias);
    L->ln1_eps = ao->LayerNorm->options.eps();
    L->ln2_w = cast(out->LayerNorm->weight);
    L->ln2_b = cast(out->LayerNorm->bias);
    L->ln2_eps = out->LayerNorm->options.eps();
    p->layers_.push_back(std::move(L));
  }
  return p;
}

at::Tensor PackedCpuEncoder::forward(const at::Tensor& x_in, const at::Tensor& attn_mask) const {
  calls_.fetch_add(1, std::memory_order_relaxed);
  const auto b = x_in.size(0), s = x_in.size(1), hidden = heads_ * head_dim_;
  const std::optional<at::Tensor> mask = attn_mask.defined() ? std::optional<at::Tensor>(attn_mask) : std::nullopt;
  const auto& o = ops();
  const c10::List<std::optional<c10::Scalar>> no_scalars;
  if (dtype_ == at::kQInt8) {  // fbgemm int8 products, everything between them in fp32
    at::Tensor x = x_in.reshape({b * s, hidden});
    for (const auto& L : layers_) {
      auto qkv = (*L->qkv8)(x).view({b, s, 3, heads_, head_dim_}).permute({2, 0, 3, 1, 4});
      auto ctx = at::scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], mask).transpose(1, 2).reshape({b * s, hidden});
      auto h = at::layer_norm((*L->out8)(ctx).add_(x), {hidden}, L->ln1_w, L->ln1_b, L->ln1_eps);
      auto inter = (*L->inter8)(h);
      inter = L->act_attr == "relu" ? at::relu_(inter) : at::gelu_(inter, L->act_algorithm);
      x = at::layer_norm((*L->down8)(inter).add_(h), {hidden}, L->ln2_w, L->ln2_b, L->ln2_eps);
    }
    return x.view({b, s, hidden});
  }
  at::Tensor x = x_in.reshape({b * s, hidden}).to(dtype_);
  for (const auto& L : layers_) {
    // [b*s, 3h] -> q, k, v as [b, heads, s, d] views
    auto qkv = o.linear->call(x, L->qkv_w, L->qkv_b, "none", no_scalars, std::nullopt)
                   .view({b, s, 3, heads_, head_dim_})
                   .permute({2, 0, 3, 1, 4});
    auto ctx = at::scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], mask)
                   .transpose(1, 2)
                   .reshape({b * s, hidden});
    auto h = at::layer_norm(o.linear_add->call(ctx, x, L->out_w, L->out_b, "add"), {hidden}, L->ln1_w, L->ln1_b,
                            L->ln1_eps);
    auto inter = o.linear->call(h, L->inter_w, L->inter_b, L->act_attr, no_scalars,
                                L->act_algorithm.empty() ? std::nullopt : std::optional<std::string_view>(L->act_algorithm));
    x = at::layer_norm(o.linear_add->call(inter, h, L->down_w, L->down_b, "add"), {hidden}, L->ln2_w, L->ln2_b,
                       L->ln2_eps);
  }
  return x.view({b, s, hidden}).to(at::kFloat);
}

std::unique_ptr<PackedLinears> PackedLinears::build(const std::vector<torch::nn::Linear>& layers,
                                                    const std::vector<at::Tensor>& also, c10::ScalarType dtype,
                                                    std::string* why) {
  const auto fail = [&](std::string reason) -> std::unique_ptr<PackedLinears> {
    if (why) *why = std::move(reason);
    return nullptr;
  };
  if (!ops().missing.empty()) return fail(ops().missing);
  if (dtype != at::kFloat)
    return fail(std::string("this family's packed path computes in float32 only, not ") + c10::toString(dtype));
  std::unique_ptr<PackedLinears> p(new PackedLinears());
  const auto watch = [&](const at::Tensor& t) -> bool {
    if (!t.defined()) return true;
    if (!t.device().is_cpu() || t.scalar_type() != at::kFloat) return false;
    p->versions_.watch(t);
    return true;
  };
  torch::NoGradGuard no_grad;
  for (const auto& l : layers) {
    if (l.is_empty()) continue;
    if (!watch(l->weight) || !watch(l->bias))
      return fail("packing needs fp32 CPU parameters, found " + std::string(c10::toString(l->weight.scalar_type())) +
                  " on " + l->weight.device().str());
    Weight w{reorder(l->weight, at::kFloat), std::nullopt};
    if (l->bias.defined()) w.b = l->bias.detach();
    p->weights_.emplace(l.get(), std::move(w));
  }
  for (const auto& t : also)
    if (!watch(t)) return fail("packing needs fp32 CPU parameters, found " + std::string(c10::toString(t.scalar_type())));
  return p;
}

at::Tensor PackedLinears::apply(const torch::nn::LinearImpl& layer, const at::Tensor& x) const {
  auto it = weights_.find(&layer);
  if (it == weights_.end()) return {};
  static const c10::List<std::optional<c10::Scalar>> no_scalars;
  auto out_shape = x.sizes().vec();
  out_shape.back() = layer.weight.size(0);
  return ops()
      .linear->call(x.reshape({-1, x.size(-1)}), it->second.w, it->second.b, "none", no_scalars, std::nullopt)
      .view(out_shape);
}

namespace {
thread_local const PackedLinears* t_packed = nullptr;
}  // namespace

PackedLinearScope::PackedLinearScope(const PackedLinears* packed, const torch::nn::Module& owner,
                                     const at::Tensor& input)
    : active_(packed && !owner.is_training() && !torch::GradMode::is_enabled() && input.device().is_cpu() &&
                      packed->current()
                  ? packed
                  : nullptr),
      previous_(t_packed) {
  t_packed = active_;
  if (active_) active_->calls_.fetch_add(1, std::memory_order_relaxed);
}

PackedLinearScope::~PackedLinearScope() { t_packed = previous_; }

at::Tensor linear(torch::nn::Linear& layer, const at::Tensor& x) {
  if (t_packed) {
    if (auto y = t_packed->apply(*layer, x); y.defined()) return y;
  }
  return layer(x);
}

}  // namespace triage::model
