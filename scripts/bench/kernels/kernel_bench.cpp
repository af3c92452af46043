// Fused kernels vs torch eager on one GPU (issue 6). For each op at BERT-base shapes (batch
// 32, sequence 128, hidden 768, 12 heads by default): median time per call, achieved GB/s
// from the op's compulsory traffic (each input read once, each output written once; listed
// per op below) and that as a fraction of the device's peak memory bandwidth (from the
// memory clock and bus width, or --peak-gbps). Then a whole BERT-base training step and a
// batch-1 inference pass with model kernels=fused vs kernels=torch.
// Prints a Markdown table; --json FILE also writes the figures. Exits 77 without a GPU.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#ifdef TRIAGE_WITH_CUDA
#include <cuda_runtime.h>
#endif

#include "kernels/kernels.h"
#include "model/encoder.h"

namespace {
using torch::Tensor;
namespace F = torch::nn::functional;
using namespace triage;

struct Options {
  int64_t batch = 32, seq = 128, hidden = 768, heads = 12, intermediate = 3072, labels = 9, vocab = 30522;
  int64_t layers = 12;
  std::string dtype = "bf16";
  int warmup = 10, iters = 50;
  double peak_gbps = 0;  // 0: from the device attributes
  double dropout = 0.1;
  std::string json;
};

// Median wall time (ms) of fn over iters calls, each synchronised.
double time_ms(const std::function<void()>& fn, const Options& o) {
  for (int i = 0; i < o.warmup; ++i) fn();
  torch::cuda::synchronize();
  std::vector<double> t;
  for (int i = 0; i < o.iters; ++i) {
    const auto a = std::chrono::steady_clock::now();
    fn();
    torch::cuda::synchronize();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
  }
  std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
  return t[t.size() / 2];
}

double device_peak_gbps() {
#ifdef TRIAGE_WITH_CUDA
  int dev = 0, khz = 0, bits = 0;
  cudaGetDevice(&dev);
  if (cudaDeviceGetAttribute(&khz, cudaDevAttrMemoryClockRate, dev) != cudaSuccess) return 0;
  if (cudaDeviceGetAttribute(&bits, cudaDevAttrGlobalMemoryBusWidth, dev) != cudaSuccess) return 0;
  return 2.0 * khz * 1e3 * (bits / 8.0) / 1e9;  // double data rate
#else
  return 0;
#endif
}

std::string device_name() {
#ifdef TRIAGE_WITH_CUDA
  int dev = 0;
  cudaDeviceProp prop{};
  if (cudaGetDevice(&dev) == cudaSuccess && cudaGetDeviceProperties(&prop, dev) == cudaSuccess) return prop.name;
#endif
  return "unknown";
}

struct Row {
  std::string op, pass;
  double bytes, fused_ms, torch_ms;
};

int run(const Options& o) {
  if (!torch::cuda::is_available()) {
    std::fprintf(stderr, "kernel_bench: no CUDA device; the benchmark needs a GPU\n");
    return 77;
  }
  const auto dt = o.dtype == "fp32" ? torch::kFloat : torch::kBFloat16;
  const double esz = dt == torch::kFloat ? 4 : 2;
  const double peak = o.peak_gbps > 0 ? o.peak_gbps : device_peak_gbps();
  const auto dev = torch::Device(torch::kCUDA);
  const auto opt = torch::TensorOptions().device(dev).dtype(dt);
  const int64_t B = o.batch, S = o.seq, H = o.hidden, N = B * S, I = o.intermediate, NH = o.heads;
  const double p = o.dropout;
  std::vector<Row> rows;
  auto both = [&](const std::string& op, const std::string& pass, double bytes, const std::function<void()>& fused,
                  const std::function<void()>& eager) {
    rows.push_back({op, pass, bytes, time_ms(fused, o), time_ms(eager, o)});
  };
  torch::manual_seed(0);

  {  // 1. embeddings: reads ids (3 x 8 B) and three table rows, writes y  (training: dropout)
    auto ids = torch::randint(o.vocab, {B, S}, torch::TensorOptions().device(dev).dtype(torch::kLong));
    auto pos = torch::arange(S, ids.options()).unsqueeze(0).expand({B, S}).contiguous();
    auto types = torch::zeros_like(ids);
    auto word = torch::randn({o.vocab, H}, opt).requires_grad_(), pe = torch::randn({512, H}, opt).requires_grad_();
    auto te = torch::randn({2, H}, opt).requires_grad_();
    auto g = torch::ones({H}, opt).requires_grad_(), be = torch::zeros({H}, opt).requires_grad_();
    auto fused = [&] { return kernels::embeddings_layer_norm(ids, pos, types, word, pe, te, g, be, 1e-12, p); };
    auto eager = [&] {
      auto x = F::embedding(ids, word) + F::embedding(pos, pe) + F::embedding(types, te);
      return F::dropout(torch::layer_norm(x, {H}, g, be, 1e-12), F::DropoutFuncOptions().p(p).training(true));
    };
    auto dy = torch::randn({B, S, H}, opt);
    both("embeddings+LayerNorm+dropout", "fwd", N * 24.0 + 4.0 * N * H * esz, [&] { torch::NoGradGuard ng; fused(); },
         [&] { torch::NoGradGuard ng; eager(); });
    both("embeddings+LayerNorm+dropout", "fwd+bwd", N * 24.0 + 4.0 * N * H * esz + 4.0 * N * H * esz,
         [&] { fused().backward(dy); }, [&] { eager().backward(dy); });
  }
  {  // 2. bias + GELU: reads x, writes y; backward reads dy, x, writes dx
    auto x = torch::randn({N, I}, opt).requires_grad_(), b = torch::randn({I}, opt).requires_grad_();
    auto dy = torch::randn({N, I}, opt);
    both("bias+GELU(erf)", "fwd", 2.0 * N * I * esz, [&] { torch::NoGradGuard ng; kernels::bias_gelu(x, b); },
         [&] { torch::NoGradGuard ng; torch::gelu(x + b); });
    both("bias+GELU(erf)", "fwd+bwd", 5.0 * N * I * esz, [&] { kernels::bias_gelu(x, b).backward(dy); },
         [&] { torch::gelu(x + b).backward(dy); });
  }
  {  // 3. bias + dropout + residual + LayerNorm: reads h, r, writes y, z; backward reads dy, z, writes dz, dh
    auto h = torch::randn({N, H}, opt).requires_grad_(), r = torch::randn({N, H}, opt).requires_grad_();
    auto b = torch::randn({H}, opt).requires_grad_(), g = torch::ones({H}, opt).requires_grad_();
    auto be = torch::zeros({H}, opt).requires_grad_();
    auto dy = torch::randn({N, H}, opt);
    auto fused = [&] { return kernels::residual_layer_norm(h, b, r, g, be, 1e-12, p); };
    auto eager = [&] {
      return torch::layer_norm(F::dropout(h + b, F::DropoutFuncOptions().p(p).training(true)) + r, {H}, g, be, 1e-12);
    };
    both("bias+dropout+residual+LayerNorm", "fwd", 4.0 * N * H * esz, [&] { torch::NoGradGuard ng; fused(); },
         [&] { torch::NoGradGuard ng; eager(); });
    both("bias+dropout+residual+LayerNorm", "fwd+bwd", 8.0 * N * H * esz, [&] { fused().backward(dy); },
         [&] { eager().backward(dy); });
  }
  {  // 4. attention softmax: reads S, writes Y and P; backward reads dP, Y, writes dS
    auto s = torch::randn({B, NH, S, S}, opt).requires_grad_();
    auto mask = torch::ones({B, S}, torch::TensorOptions().device(dev).dtype(torch::kBool));
    mask.narrow(1, S / 2, S / 2).select(0, 0).fill_(false);
    const double scale = 1.0 / std::sqrt(static_cast<double>(H / NH));
    auto dy = torch::randn({B, NH, S, S}, opt);
    auto m4 = mask.view({B, 1, 1, S}).logical_not();
    auto fused = [&] { return kernels::attention_softmax(s, mask, scale, p); };
    auto eager = [&] {
      return F::dropout(torch::softmax((s * scale).masked_fill(m4, -INFINITY), -1),
                        F::DropoutFuncOptions().p(p).training(true));
    };
    const double elems = static_cast<double>(B * NH * S * S);
    both("attention scale+mask+softmax+dropout", "fwd", 3.0 * elems * esz, [&] { torch::NoGradGuard ng; fused(); },
         [&] { torch::NoGradGuard ng; eager(); });
    both("attention scale+mask+softmax+dropout", "fwd+bwd", 6.0 * elems * esz, [&] { fused().backward(dy); },
         [&] { eager().backward(dy); });
  }
  {  // 5. cross-entropy: reads logits and targets, writes the gradient (in forward)
    auto logits = torch::randn({N, o.labels}, opt).requires_grad_();
    auto t = torch::randint(o.labels, {N}, torch::TensorOptions().device(dev).dtype(torch::kLong));
    t.narrow(0, 0, N / 4).fill_(-100);
    both("softmax cross-entropy (ignore_index)", "fwd+bwd", 2.0 * N * o.labels * esz + 8.0 * N,
         [&] { kernels::token_cross_entropy(logits, t, -100).backward(); },
         [&] { F::cross_entropy(logits, t).backward(); });
  }
  {  // 6. AdamW over BERT-base-sized parameters: reads p, g, m, v (and master), writes p, m, v (and master)
    model::ModelConfig c;
    c.vocab_size = o.vocab, c.hidden_size = H, c.num_hidden_layers = o.layers, c.num_attention_heads = NH;
    c.intermediate_size = I, c.labels = std::vector<std::string>(static_cast<size_t>(o.labels), "x");
    model::TokenClassifier m(c);
    m->to(dev);
    std::vector<Tensor> ps, gs, ms, vs, masters;
    double numel = 0;
    for (auto& t : m->parameters()) {
      masters.push_back(t.detach().clone());
      ps.push_back(t.detach().to(dt));
      gs.push_back(torch::randn_like(ps.back()));
      ms.push_back(torch::zeros_like(masters.back()));
      vs.push_back(torch::zeros_like(masters.back()));
      numel += static_cast<double>(t.numel());
    }
    const bool use_masters = dt != torch::kFloat;
    std::vector<Tensor> tp;
    for (auto& t : masters) {
      tp.push_back(t.clone().requires_grad_());
      tp.back().mutable_grad() = torch::randn_like(t);
    }
    torch::optim::AdamW topt(tp, torch::optim::AdamWOptions(1e-4).weight_decay(0.01));
    int64_t step = 0;
    const double bytes = numel * (use_masters ? 2 * esz + esz + 4 * 4.0 + 4 * 2.0 : 7 * 4.0);
    both("AdamW (all parameters)", "step", bytes,
         [&] {
           kernels::adamw_step(ps, gs, ms, vs, ++step, 1e-4, 0.9, 0.999, 1e-8, 0.01, {},
                               use_masters ? at::TensorList(masters) : at::TensorList());
         },
         [&] {
           topt.step();  // libtorch's AdamW: a per-tensor loop of eager ops (no foreach in C++)
           if (use_masters) {
             torch::NoGradGuard ng;
             for (size_t i = 0; i < ps.size(); ++i) ps[i].copy_(tp[i]);
           }
         });
  }

  // Whole model: BERT-base token classifier, training step (forward, loss, backward, AdamW)
  // and batch-1 inference.
  model::ModelConfig c;
  c.vocab_size = o.vocab, c.hidden_size = H, c.num_hidden_layers = o.layers, c.num_attention_heads = NH;
  c.intermediate_size = I, c.labels = std::vector<std::string>(static_cast<size_t>(o.labels), "x");
  c.hidden_dropout_prob = p, c.attention_probs_dropout_prob = p;
  model::TokenClassifier m(c);
  m->to(dev);
  std::vector<Tensor> masters, ms, vs;
  for (auto& t : m->parameters()) {
    masters.push_back(t.detach().clone());
    ms.push_back(torch::zeros_like(t));
    vs.push_back(torch::zeros_like(t));
  }
  m->to(dt);
  auto params = m->parameters();
  std::vector<Tensor> tmasters;
  for (auto& t : masters) tmasters.push_back(t.clone().requires_grad_());
  torch::optim::AdamW topt(tmasters, torch::optim::AdamWOptions(1e-4).weight_decay(0.01));
  const bool use_masters = dt != torch::kFloat;
  auto ids = torch::randint(1, o.vocab, {B, S}, torch::TensorOptions().device(dev).dtype(torch::kLong));
  auto mask = torch::ones_like(ids);
  auto labels = torch::randint(o.labels, {B, S}, ids.options());
  int64_t step = 0;
  auto train_step = [&](kernels::KernelMode mode) {
    m->train();
    m->set_kernels(mode);
    auto out = m->forward(ids, mask);
    auto loss = m->token_loss(out.token_logits, labels);
    m->zero_grad();
    loss.backward();
    std::vector<Tensor> grads;
    for (auto& t : params) grads.push_back(t.grad());
    if (mode == kernels::KernelMode::Fused) {
      kernels::adamw_step(params, grads, ms, vs, ++step, 1e-4, 0.9, 0.999, 1e-8, 0.01, {},
                          use_masters ? at::TensorList(masters) : at::TensorList());
      return;
    }
    for (size_t i = 0; i < params.size(); ++i) tmasters[i].mutable_grad() = grads[i].to(torch::kFloat);
    topt.step();
    torch::NoGradGuard ng;
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(tmasters[i]);
  };
  rows.push_back({"BERT-base training step (batch " + std::to_string(B) + "x" + std::to_string(S) + ")", "step", 0,
                  time_ms([&] { train_step(kernels::KernelMode::Fused); }, o),
                  time_ms([&] { train_step(kernels::KernelMode::Torch); }, o)});
  auto ids1 = ids.narrow(0, 0, 1), mask1 = mask.narrow(0, 0, 1);
  auto infer = [&](kernels::KernelMode mode) {
    torch::InferenceMode im;
    m->eval();
    m->set_kernels(mode);
    m->forward(ids1, mask1);
  };
  rows.push_back({"BERT-base inference (batch 1x" + std::to_string(S) + ")", "fwd", 0,
                  time_ms([&] { infer(kernels::KernelMode::Fused); }, o),
                  time_ms([&] { infer(kernels::KernelMode::Torch); }, o)});

  // Report
  const std::string gpu = device_name();
  std::printf("GPU: %s, peak memory bandwidth %.0f GB/s, dtype %s, batch %ld x seq %ld, hidden %ld, heads %ld\n\n",
              gpu.c_str(), peak, o.dtype.c_str(), static_cast<long>(B), static_cast<long>(S), static_cast<long>(H),
              static_cast<long>(NH));
  std::printf("| op | pass | fused ms | torch ms | speed-up | fused GB/s | %% of peak |\n|---|---|---|---|---|---|---|\n");
  nlohmann::json out = {{"gpu", gpu}, {"peak_gbps", peak}, {"dtype", o.dtype}, {"batch", B}, {"seq", S},
                        {"hidden", H}, {"heads", NH}, {"rows", nlohmann::json::array()}};
  for (const auto& r : rows) {
    const double gbps = r.bytes > 0 ? r.bytes / (r.fused_ms * 1e-3) / 1e9 : 0;
    std::printf("| %s | %s | %.4f | %.4f | %.2fx | %s | %s |\n", r.op.c_str(), r.pass.c_str(), r.fused_ms, r.torch_ms,
                r.torch_ms / r.fused_ms, r.bytes > 0 ? std::to_string(static_cast<int>(gbps)).c_str() : "-",
                r.bytes > 0 && peak > 0 ? (std::to_string(static_cast<int>(100 * gbps / peak)) + "%").c_str() : "-");
    out["rows"].push_back({{"op", r.op}, {"pass", r.pass}, {"bytes", r.bytes}, {"fused_ms", r.fused_ms},
                           {"torch_ms", r.torch_ms}, {"fused_gbps", gbps}});
  }
  if (!o.json.empty()) std::ofstream(o.json) << out.dump(2) << "\n";
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Fused kernels vs torch eager (needs a GPU)"};
  app.add_option("--batch", o.batch, "batch size");
  app.add_option("--seq", o.seq, "sequence length");
  app.add_option("--hidden", o.hidden, "hidden size");
  app.add_option("--heads", o.heads, "attention heads");
  app.add_option("--intermediate", o.intermediate, "intermediate (FFN) size");
  app.add_option("--layers", o.layers, "encoder layers of the whole-model figures");
  app.add_option("--labels", o.labels, "token labels");
  app.add_option("--dtype", o.dtype, "bf16 or fp32")->check(CLI::IsMember({"bf16", "fp32"}));
  app.add_option("--warmup", o.warmup, "untimed calls first");
  app.add_option("--iters", o.iters, "timed calls (median reported)");
  app.add_option("--dropout", o.dropout, "dropout probability of the training-time ops");
  app.add_option("--peak-gbps", o.peak_gbps, "device memory bandwidth (default: from the device attributes)");
  app.add_option("--json", o.json, "also write the figures to this JSON file");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kernel_bench: %s\n", e.what());
    return 1;
  }
}
