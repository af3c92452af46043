// One parity test body per fused op, parameterised over (device, dtype, tolerance, oracle):
// kernels_test instantiates it on the CPU against torch's composite ops (fp32), and
// kernels_gpu_test on CUDA (fp32, bf16) against the C++ reference on the same inputs
// rounded to the dtype. Forward outputs and the gradients of every floating input are
// compared: |actual - expected| <= atol * max(1, max|expected|) + rtol * |expected|.
// Shapes are awkward on purpose: hidden sizes 36 and 100 (not multiples of 32), length 1,
// all-padding rows, 129 and 512 keys, a non-contiguous input.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "kernels/adamw/adamw.h"
#include "kernels/common/math.h"
#include "kernels/common/torch_util.h"
#include "kernels/kernels.h"

namespace triage::kernels::testing {

using torch::Tensor;

struct Case {
  const char* name;
  torch::Device device;
  torch::ScalarType dtype;
  double atol, rtol;
  bool against_reference;  // oracle: the CPU reference (GPU cases) or torch composite ops
};
inline void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

inline bool cuda_present() { return torch::cuda::is_available(); }

// |a - e| <= atol * max(1, max|e|) + rtol * |e|, NaN where the expectation has NaN.
inline void expect_close(const Tensor& actual, const Tensor& expected, double atol, double rtol,
                         const std::string& what) {
  ASSERT_EQ(actual.defined(), expected.defined()) << what;
  if (!expected.defined()) return;
  auto a = actual.detach().to(torch::kCPU, torch::kDouble), e = expected.detach().to(torch::kCPU, torch::kDouble);
  ASSERT_EQ(a.sizes(), e.sizes()) << what;
  if (e.numel() == 0) return;
  EXPECT_TRUE(torch::equal(a.isnan(), e.isnan())) << what << ": NaN pattern differs";
  auto finite = e.isnan().logical_not();
  a = a.masked_fill(finite.logical_not(), 0);
  e = e.masked_fill(finite.logical_not(), 0);
  const double scale = std::max(1.0, e.abs().max().item<double>());
  auto excess = (a - e).abs() - (atol * scale + rtol * e.abs());
  const double worst = excess.max().item<double>();
  EXPECT_LE(worst, 0.0) << what << ": max |diff| " << (a - e).abs().max().item<double>() << " (atol " << atol
                        << " x scale " << scale << ", rtol " << rtol << ")";
}

using Op = std::function<Tensor(const std::vector<Tensor>&)>;
struct OpRun {
  Tensor out;
  std::vector<Tensor> grads;  // one per input, undefined for non-floating inputs
};

// Runs op on copies of `inputs` (fp32 / integer CPU tensors) moved to device and cast to
// dtype, seeding torch first (so dropout seeds match between runs), then backpropagates a
// fixed random gradient. Returns the output and input gradients as fp32 CPU tensors.
inline OpRun run_op(const Op& op, const std::vector<Tensor>& inputs, torch::Device device, torch::ScalarType dtype,
                  uint64_t seed) {
  std::vector<Tensor> in;
  for (const auto& t : inputs) {
    if (!t.defined()) {
      in.push_back(t);
      continue;
    }
    auto u = (t.is_floating_point() ? t.to(dtype) : t).to(device);
    if (t.is_floating_point()) u = u.detach().requires_grad_(true);
    in.push_back(u);
  }
  torch::manual_seed(seed);
  OpRun r;
  auto out = op(in);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed + 1);
  auto dy = at::randn(out.sizes(), gen, torch::kFloat).to(device, out.scalar_type());
  out.backward(dy);
  r.out = out.detach().to(torch::kCPU, torch::kFloat);
  for (const auto& t : in)
    r.grads.push_back(t.defined() && t.is_floating_point() && t.grad().defined()
                          ? t.grad().to(torch::kCPU, torch::kFloat)
                          : Tensor());
  return r;
}

// The dropout seed the fused op draws right after torch::manual_seed(seed).
inline uint64_t dropout_seed_after(uint64_t seed) {
  torch::manual_seed(seed);
  return detail::dropout_seed();
}
// [shape] of dropout_factor(seed, flat index, p): the mask the fused kernels apply.
inline Tensor dropout_mask(at::IntArrayRef shape, uint64_t seed, double p) {
  auto m = torch::empty(shape, torch::kFloat);
  float* d = m.data_ptr<float>();
  for (int64_t i = 0; i < m.numel(); ++i) d[i] = dropout_factor(seed, static_cast<uint64_t>(i), static_cast<float>(p));
  return m;
}

inline std::string shape_str(at::IntArrayRef s) {
  std::ostringstream o;
  o << s;
  return o.str();
}

class KernelParity : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    if (GetParam().device.is_cuda() && !cuda_present()) GTEST_SKIP() << "no CUDA device on this machine";
    torch::manual_seed(2024);
  }
  // Compares the fused op on the case's device and dtype against the oracle.
  void check(const std::vector<Tensor>& inputs, const Op& fused, const Op& composite, const std::string& what,
             uint64_t seed = 11) {
    const Case& c = GetParam();
    OpRun actual = run_op(fused, inputs, c.device, c.dtype, seed);
    OpRun expected;
    if (c.against_reference) {
      std::vector<Tensor> rounded;  // the kernel saw dtype-rounded inputs; so does the reference
      for (const auto& t : inputs)
        rounded.push_back(t.defined() && t.is_floating_point() ? t.to(c.dtype).to(torch::kFloat) : t);
      expected = run_op(fused, rounded, torch::kCPU, torch::kFloat, seed);
    } else {
      expected = run_op(composite, inputs, torch::kCPU, torch::kFloat, seed);
    }
    expect_close(actual.out, expected.out, c.atol, c.rtol, what + " forward");
    for (size_t i = 0; i < inputs.size(); ++i)
      expect_close(actual.grads[i], expected.grads[i], c.atol, c.rtol, what + " grad of input " + std::to_string(i));
  }
};

TEST_P(KernelParity, BiasGelu) {
  const std::vector<std::vector<int64_t>> shapes = {{2, 3, 36}, {1, 1, 100}, {5, 257}};
  for (const auto& s : shapes) {
    auto x = torch::randn(s), b = torch::randn({s.back()});
    check({x, b}, [](const std::vector<Tensor>& in) { return bias_gelu(in[0], in[1]); },
          [](const std::vector<Tensor>& in) { return torch::gelu(in[0] + in[1]); }, "bias_gelu " + shape_str(s));
  }
  auto xt = torch::randn({36, 4}).t();  // non-contiguous [4, 36]
  check({xt, torch::randn({36})}, [](const std::vector<Tensor>& in) { return bias_gelu(in[0], in[1]); },
        [](const std::vector<Tensor>& in) { return torch::gelu(in[0] + in[1]); }, "bias_gelu transposed");
}

TEST_P(KernelParity, ResidualLayerNorm) {
  const std::vector<std::vector<int64_t>> shapes = {{2, 5, 36}, {1, 1, 100}, {3, 4, 768}};
  const double eps = 1e-12;
  for (const auto& s : shapes)
    for (double p : {0.0, 0.1}) {
      const int64_t hdim = s.back();
      auto h = torch::randn(s), b = torch::randn({hdim}), r = torch::randn(s);
      auto g = 1 + 0.1 * torch::randn({hdim}), be = 0.1 * torch::randn({hdim});
      auto fused = [&](const std::vector<Tensor>& in) {
        return residual_layer_norm(in[0], in[1], in[2], in[3], in[4], eps, p);
      };
      auto composite = [&](const std::vector<Tensor>& in) {
        auto m = dropout_mask(in[0].sizes(), dropout_seed_after(11), p);
        return torch::layer_norm((in[0] + in[1]) * (p > 0 ? m : torch::ones_like(m)) + in[2], {hdim}, in[3], in[4], eps);
      };
      check({h, b, r, g, be}, fused, composite, "residual_layer_norm " + shape_str(s) + " p=" + std::to_string(p));
    }
}

TEST_P(KernelParity, Embeddings) {
  const int64_t vocab = 50, max_pos = 20, types = 2;
  struct Shape {
    int64_t batch, seq, hidden;
    bool type_table;
  };
  for (const Shape& s : {Shape{3, 7, 36, true}, Shape{2, 5, 100, false}, Shape{1, 1, 36, true}})
    for (double p : {0.0, 0.1}) {
      auto ids = torch::randint(vocab, {s.batch, s.seq}, torch::kLong);
      auto pos = torch::arange(s.seq, torch::kLong).unsqueeze(0).expand({s.batch, s.seq}).contiguous();
      auto tids = s.type_table ? torch::randint(types, {s.batch, s.seq}, torch::kLong) : Tensor();
      auto word = torch::randn({vocab, s.hidden}), pe = torch::randn({max_pos, s.hidden});
      auto te = s.type_table ? torch::randn({types, s.hidden}) : Tensor();
      auto g = 1 + 0.1 * torch::randn({s.hidden}), be = 0.1 * torch::randn({s.hidden});
      const int64_t hdim = s.hidden;
      auto fused = [&](const std::vector<Tensor>& in) {
        return embeddings_layer_norm(in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7], 1e-12, p);
      };
      auto composite = [&](const std::vector<Tensor>& in) {
        auto x = in[3].index_select(0, in[0].flatten()) + in[4].index_select(0, in[1].flatten());
        if (in[5].defined()) x = x + in[5].index_select(0, in[2].flatten());
        auto y = torch::layer_norm(x, {hdim}, in[6], in[7], 1e-12);
        if (p > 0) y = y * dropout_mask(y.sizes(), dropout_seed_after(11), p);
        return y.view({in[0].size(0), in[0].size(1), hdim});
      };
      check({ids, pos, tids, word, pe, te, g, be}, fused, composite,
            "embeddings [" + std::to_string(s.batch) + ", " + std::to_string(s.seq) + ", " +
                std::to_string(s.hidden) + "] types=" + std::to_string(s.type_table) + " p=" + std::to_string(p));
    }
}

TEST_P(KernelParity, AttentionSoftmax) {
  struct Shape {
    int64_t batch, heads, queries, keys;
  };
  const double scale = 0.35;
  for (const Shape& s : {Shape{3, 2, 5, 6}, Shape{1, 1, 1, 1}, Shape{2, 3, 4, 129}, Shape{1, 2, 3, 512}})
    for (double p : {0.0, 0.1}) {
      auto scores = torch::randn({s.batch, s.heads, s.queries, s.keys}) * 3;
      auto mask = torch::rand({s.batch, s.keys}) > 0.3;
      mask.select(0, 0).fill_(true);  // item 0: all keys
      if (s.batch > 2) mask.select(0, 2).fill_(false);  // item 2: an all-padding row
      auto fused = [&](const std::vector<Tensor>& in) { return attention_softmax(in[0], in[1], scale, p); };
      auto composite = [&](const std::vector<Tensor>& in) {
        auto m = in[1].view({s.batch, 1, 1, s.keys});
        auto x = in[0] * scale;
        auto any = m.any(-1, true);
        auto safe = torch::where(any, x.masked_fill(m.logical_not(), -INFINITY), torch::zeros_like(x));
        auto probs = torch::softmax(safe, -1) * any;
        return p > 0 ? probs * dropout_mask(probs.sizes(), dropout_seed_after(11), p) : probs;
      };
      check({scores, mask}, fused, composite,
            "attention_softmax " + shape_str(scores.sizes()) + " p=" + std::to_string(p));
    }
}

TEST_P(KernelParity, CrossEntropy) {
  struct Shape {
    int64_t rows, classes;
  };
  for (const Shape& s : {Shape{37, 7}, Shape{1, 1}, Shape{6, 300}}) {
    auto logits = torch::randn({s.rows, s.classes}) * 2;
    auto targets = torch::randint(s.classes, {s.rows}, torch::kLong);
    targets.masked_fill_(torch::rand({s.rows}) < 0.3, -100);
    targets[0] = s.classes - 1;  // at least one labelled row
    check({logits, targets}, [](const std::vector<Tensor>& in) { return token_cross_entropy(in[0], in[1], -100); },
          [](const std::vector<Tensor>& in) {
            return torch::nn::functional::cross_entropy(
                in[0], in[1], torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100));
          },
          "token_cross_entropy " + shape_str(logits.sizes()));
  }
  // [batch, seq, classes] logits, as the model produces them
  auto logits = torch::randn({2, 3, 5});
  auto targets = torch::tensor({{1, 4, -100}, {0, -100, 2}}, torch::kLong);
  check({logits, targets}, [](const std::vector<Tensor>& in) { return token_cross_entropy(in[0], in[1], -100); },
        [](const std::vector<Tensor>& in) {
          return torch::nn::functional::cross_entropy(in[0].view({-1, 5}), in[1].view({-1}));
        },
        "token_cross_entropy [2, 3, 5]");
}

// No labelled position: loss 0 and a zero gradient (torch's cross_entropy gives NaN).
TEST_P(KernelParity, CrossEntropyAllIgnored) {
  const Case& c = GetParam();
  auto logits = torch::randn({4, 3}).to(c.device, c.dtype).requires_grad_(true);
  auto targets = torch::full({4}, -100, torch::kLong).to(c.device);
  auto loss = token_cross_entropy(logits, targets, -100);
  loss.backward();
  EXPECT_EQ(loss.item<float>(), 0.0f);
  EXPECT_EQ(logits.grad().abs().sum().item<float>(), 0.0f);
}

// AdamW over tensors of awkward sizes with per-tensor decay flags, three steps; bf16
// params go with fp32 masters. Oracle: torch's AdamW arithmetic as tensor ops (CPU case)
// or the reference path (GPU cases).
TEST_P(KernelParity, AdamW) {
  const Case& c = GetParam();
  const std::vector<int64_t> sizes = {1, 37, 4097, 10007};
  const std::vector<bool> decay = {true, false, true, false};
  const double lr = 1e-2, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.1;
  const bool masters = c.dtype == torch::kBFloat16;
  struct State {
    std::vector<Tensor> p, m, v, master;
  };
  auto init = [&](torch::Device dev) {
    State s;
    torch::manual_seed(5);
    for (auto n : sizes) {
      auto w = torch::randn({n});
      s.master.push_back(w.to(dev));
      s.p.push_back(masters ? w.to(c.dtype).to(dev) : w.clone().to(dev));
      s.m.push_back(torch::zeros({n}).to(dev));
      s.v.push_back(torch::zeros({n}).to(dev));
    }
    return s;
  };
  auto grads_at = [&](int step, torch::Device dev) {
    std::vector<Tensor> g;
    torch::manual_seed(100 + step);
    for (auto n : sizes) g.push_back(torch::randn({n}).to(c.dtype).to(dev));
    return g;
  };
  State actual = init(c.device), expected = init(torch::kCPU);
  for (int step = 1; step <= 3; ++step) {
    adamw_step(actual.p, grads_at(step, c.device), actual.m, actual.v, step, lr, b1, b2, eps, wd, decay,
               masters ? at::TensorList(actual.master) : at::TensorList());
    auto g = grads_at(step, torch::kCPU);
    if (c.against_reference) {
      adamw_step(expected.p, g, expected.m, expected.v, step, lr, b1, b2, eps, wd, decay,
                 masters ? at::TensorList(expected.master) : at::TensorList());
      continue;
    }
    const double bc1 = 1 - std::pow(b1, step), bc2 = 1 - std::pow(b2, step);
    for (size_t i = 0; i < sizes.size(); ++i) {  // torch.optim.AdamW's _single_tensor_adamw
      auto& p = expected.p[i];
      auto gf = g[i].to(torch::kFloat);
      if (decay[i]) p.mul_(1 - lr * wd);
      expected.m[i].lerp_(gf, 1 - b1);
      expected.v[i].mul_(b2).addcmul_(gf, gf, 1 - b2);
      auto denom = (expected.v[i].sqrt() / std::sqrt(bc2)).add_(eps);
      p.addcdiv_(expected.m[i], denom, -lr / bc1);
    }
  }
  for (size_t i = 0; i < sizes.size(); ++i) {
    const std::string what = "adamw tensor " + std::to_string(i);
    expect_close(masters ? actual.master[i] : actual.p[i], masters ? expected.master[i] : expected.p[i], 1e-6, 1e-5,
                 what + " weights");
    if (masters) {
      EXPECT_TRUE(torch::equal(actual.p[i].cpu(), actual.master[i].to(c.dtype).cpu())) << what;
    }
    expect_close(actual.m[i], expected.m[i], 1e-6, 1e-5, what + " exp_avg");
    expect_close(actual.v[i], expected.v[i], 1e-6, 1e-5, what + " exp_avg_sq");
  }
}

}  // namespace triage::kernels::testing
