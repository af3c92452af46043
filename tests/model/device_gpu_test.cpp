// The model on a GPU (issue 20; ctest label gpu, skipped without a CUDA device): CUDA logits
// against the CPU's for a MiniLM-size and a BERT-base-size random model (fp32 within 1e-4,
// bf16 probabilities within 0.02: bf16 keeps ~3 significant digits through the layers), batch
// invariance on CUDA, the unpadded forward and its gradients equal to the padded ones on CUDA,
// and place_for_inference's CUDA placement (bf16 by default).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "model/config.h"
#include "model/encoder.h"
#include "model/inference_device.h"
#include "model/unpadded.h"

using namespace triage::model;

namespace {

TokenClassifier random_bert(int64_t hidden, int64_t layers, int64_t heads) {
  nlohmann::json j = {{"model_type", "bert"}, {"vocab_size", 30522}, {"hidden_size", hidden},
                      {"num_hidden_layers", layers}, {"num_attention_heads", heads},
                      {"intermediate_size", 4 * hidden}, {"max_position_embeddings", 512},
                      {"hidden_dropout_prob", 0.0}, {"attention_probs_dropout_prob", 0.0},
                      {"id2label", {{"0", "O"}, {"1", "B-order_id"}, {"2", "I-order_id"}, {"3", "B-product"},
                                    {"4", "I-product"}}}};
  auto c = config_from_json(j, "test");
  c.intent_labels = {"billing", "refund", "shipping", "other"};
  torch::manual_seed(3);
  TokenClassifier m(c);
  m->init_heads(4);
  m->eval();
  return m;
}

std::pair<torch::Tensor, torch::Tensor> batch_of(const std::vector<int64_t>& lengths) {
  const int64_t seq = *std::max_element(lengths.begin(), lengths.end());
  auto ids = torch::zeros({static_cast<int64_t>(lengths.size()), seq}, torch::kLong);
  auto mask = torch::zeros_like(ids);
  torch::manual_seed(9);
  for (size_t r = 0; r < lengths.size(); ++r) {
    ids[static_cast<int64_t>(r)].slice(0, 0, lengths[r]).copy_(torch::randint(1000, 30000, {lengths[r]}, torch::kLong));
    mask[static_cast<int64_t>(r)].slice(0, 0, lengths[r]).fill_(1);
  }
  return {ids, mask};
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kCPU, torch::kFloat) - b.to(torch::kCPU, torch::kFloat)).abs().max().item<double>();
}

struct Size {
  const char* name;
  int64_t hidden, layers, heads;
};

class Gpu : public ::testing::TestWithParam<Size> {
 protected:
  void SetUp() override {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  }
};

TEST_P(Gpu, CudaMatchesCpu) {
  const auto& P = GetParam();
  auto cpu = random_bert(P.hidden, P.layers, P.heads);
  auto gpu = random_bert(P.hidden, P.layers, P.heads);
  const auto [ids, mask] = batch_of({128, 17, 64, 1});
  torch::NoGradGuard g;
  const auto want = cpu->forward(ids, mask);
  const c10::Device dev = parse_device("cuda", "--device");
  auto placed = place_for_inference(*gpu, dev, "fp32", true, "--precision");
  EXPECT_EQ(placed.precision, "fp32");
  const auto got = gpu->forward(ids.to(dev), mask.to(dev));
  const auto real = mask.to(torch::kBool);
  EXPECT_LE(max_diff(want.token_logits.index({real}), got.token_logits.to(torch::kCPU).index({real})), 1e-4) << P.name;
  EXPECT_LE(max_diff(want.intent_logits, got.intent_logits), 1e-4) << P.name;
  // bf16, the CUDA default
  auto half = random_bert(P.hidden, P.layers, P.heads);
  placed = place_for_inference(*half, dev, "auto", true, "--precision");
  EXPECT_EQ(placed.precision, "bf16");
  EXPECT_EQ(half->classifier->weight.scalar_type(), torch::kBFloat16);
  const auto low = half->forward(ids.to(dev), mask.to(dev));
  auto probs = [](const torch::Tensor& t) { return torch::softmax(t.to(torch::kCPU, torch::kFloat), -1); };
  EXPECT_LE(max_diff(probs(want.token_logits).index({real}), probs(low.token_logits).index({real})), 0.02) << P.name;
  EXPECT_LE(max_diff(probs(want.intent_logits), probs(low.intent_logits)), 0.02) << P.name;
}

TEST_P(Gpu, BatchInvarianceAndUnpaddedOnCuda) {
  const auto& P = GetParam();
  auto m = random_bert(P.hidden, P.layers, P.heads);
  const c10::Device dev(c10::kCUDA, 0);
  m->to(dev);
  const auto [ids, mask] = batch_of({1, 300, 7, 512, 33});
  torch::NoGradGuard g;
  const auto batched = m->forward(ids.to(dev), mask.to(dev));
  for (int64_t r = 0; r < ids.size(0); ++r) {
    const int64_t n = mask[r].sum().item<int64_t>();
    const auto one = m->forward(ids[r].slice(0, 0, n).unsqueeze(0).to(dev), torch::ones({1, n}, torch::kLong).to(dev));
    EXPECT_LE(max_diff(one.token_logits[0], batched.token_logits[r].slice(0, 0, n)), 1e-4) << P.name << " row " << r;
  }
  const auto u = unpad_batch(ids, mask).to(dev);
  const auto packed = m->forward_unpadded(u);
  EXPECT_LE(max_diff(packed.token_logits, unpad_tokens(batched.token_logits, u)), 1e-4) << P.name;
  EXPECT_LE(max_diff(packed.intent_logits, batched.intent_logits), 1e-4) << P.name;
}

TEST_P(Gpu, UnpaddedGradientsOnCuda) {
  const auto& P = GetParam();
  auto m = random_bert(P.hidden, P.layers, P.heads);
  const c10::Device dev(c10::kCUDA, 0);
  m->to(dev);
  m->train();
  const auto [ids, mask] = batch_of({40, 3, 128, 1});
  const auto labels = torch::randint(0, 5, ids.sizes(), torch::kLong).masked_fill(mask.eq(0), -100);
  const auto host = unpad_batch(ids, mask);
  const auto u = host.to(dev);
  auto grads = [&](bool unpadded) {
    m->zero_grad();
    auto out = unpadded ? m->forward_unpadded(u) : m->forward(ids.to(dev), mask.to(dev));
    const auto lab = (unpadded ? unpad_tokens(labels.unsqueeze(-1), host).squeeze(-1) : labels).to(dev);
    (token_cross_entropy(triage::kernels::KernelMode::Torch, out.token_logits, lab) + out.intent_logits.logsumexp(-1).mean())
        .backward();
    std::vector<torch::Tensor> g;
    for (const auto& p : m->parameters()) g.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
    return g;
  };
  const auto a = grads(false), b = grads(true);
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, max_diff(a[i], b[i]));
  EXPECT_LE(worst, 1e-4) << P.name;
}

INSTANTIATE_TEST_SUITE_P(Sizes, Gpu,
                         ::testing::Values(Size{"minilm_6x384", 384, 6, 12}, Size{"bert_base_12x768", 768, 12, 12}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
