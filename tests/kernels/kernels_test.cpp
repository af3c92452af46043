// CPU tests of the fused ops (label unit, run in CI): each C++ reference (the CPU path)
// against torch's composite ops, forward and gradients in fp32; error messages; the model
// wired to the fused ops against its composite torch path; AdamW against torch::optim::AdamW;
// 50 training steps fused vs torch on the CPU.
#include <gtest/gtest.h>

#include <sstream>

#include <torch/torch.h>

#include "kernels/device_info.h"
#include "tests/common/test_util.h"
#include "tests/kernels/fused_training.h"
#include "tests/kernels/kernel_parity.h"

namespace triage::kernels::testing {
namespace {

using triage::testing::error_of;

INSTANTIATE_TEST_SUITE_P(Cpu, KernelParity,
                         ::testing::Values(Case{"cpu_fp32_vs_torch", torch::kCPU, torch::kFloat, 1e-5, 1e-5, false}),
                         [](const auto& info) { return std::string(info.param.name); });


TEST(FusedOps, ErrorsNameTheProblem) {
  auto x = torch::randn({2, 36});
  EXPECT_NE(error_of<std::exception>([&] { bias_gelu(x, torch::randn({35})); }).find("does not match"), std::string::npos);
  EXPECT_NE(error_of<std::exception>([&] { bias_gelu(x.to(torch::kHalf), torch::randn({36})); }).find("Half"), std::string::npos);
  auto ids = torch::tensor({{1, 60}}, torch::kLong), pos = torch::tensor({{0, 1}}, torch::kLong);
  auto msg = error_of<std::exception>([&] {
    embeddings_layer_norm(ids, pos, {}, torch::randn({50, 36}), torch::randn({4, 36}), {}, torch::ones({36}),
                          torch::zeros({36}), 1e-12, 0.0);
  });
  EXPECT_NE(msg.find("input id 60 at token 1"), std::string::npos) << msg;
  msg = error_of<std::exception>([&] { token_cross_entropy(torch::randn({3, 4}), torch::tensor({0, 7, -100}, torch::kLong)); });
  EXPECT_NE(msg.find("target 7 at row 1"), std::string::npos) << msg;
  msg = error_of<std::exception>([&] { attention_softmax(torch::randn({2, 1, 3, 4}), torch::ones({2, 5}), 1.0, 0.0); });
  EXPECT_NE(msg.find("key_mask"), std::string::npos) << msg;
  msg = error_of<std::exception>([&] {
    auto p = torch::zeros({3}, torch::kBFloat16);
    adamw_step({p}, {p}, {torch::zeros({3})}, {torch::zeros({3})}, 1, 1e-3, 0.9, 0.999, 1e-8, 0.0);
  });
  EXPECT_NE(msg.find("master_params"), std::string::npos) << msg;
  EXPECT_NE(error_of<std::exception>([] { parse_kernel_mode("fast"); }).find("auto, fused or torch"), std::string::npos);
}

TEST(FusedOps, KernelModeParsesAndDefaults) {
  EXPECT_EQ(parse_kernel_mode("fused"), KernelMode::Fused);
  EXPECT_EQ(parse_kernel_mode("torch"), KernelMode::Torch);
  EXPECT_EQ(to_string(parse_kernel_mode("auto")), "auto");
  EXPECT_TRUE(use_fused(KernelMode::Auto, /*on_cuda=*/true));
  EXPECT_FALSE(use_fused(KernelMode::Auto, /*on_cuda=*/false));
  EXPECT_TRUE(use_fused(KernelMode::Fused, false));
  EXPECT_FALSE(use_fused(KernelMode::Torch, true));
}

TEST(FusedOps, DropoutIsSeededAndUnbiased) {
  auto x = torch::randn({64, 100}), b = torch::zeros({100}), r = torch::zeros({64, 100});
  auto g = torch::ones({100}), be = torch::zeros({100});
  torch::manual_seed(3);
  auto a = residual_layer_norm(x, b, r, g, be, 1e-12, 0.25);
  torch::manual_seed(3);
  auto same = residual_layer_norm(x, b, r, g, be, 1e-12, 0.25);
  auto other = residual_layer_norm(x, b, r, g, be, 1e-12, 0.25);
  EXPECT_TRUE(torch::equal(a, same));
  EXPECT_FALSE(torch::equal(a, other));
  auto kept = dropout_mask({1 << 16}, 99, 0.25).ne(0).to(torch::kFloat).mean().item<double>();
  EXPECT_NEAR(kept, 0.75, 0.01);
}

// The reference AdamW against libtorch's own optimizer, two parameter groups (decay / none).
TEST(FusedOps, AdamWMatchesTorchOptim) {
  torch::manual_seed(1);
  std::vector<torch::Tensor> mine = {torch::randn({37}), torch::randn({5, 7})};
  std::vector<torch::Tensor> theirs;
  for (auto& t : mine) theirs.push_back(t.clone().requires_grad_(true));
  std::vector<torch::Tensor> m = {torch::zeros({37}), torch::zeros({5, 7})}, v = {torch::zeros({37}), torch::zeros({5, 7})};
  const double lr = 1e-2, wd = 0.1;
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{theirs[0]},
                      std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(lr).weight_decay(wd)));
  groups.emplace_back(std::vector<torch::Tensor>{theirs[1]},
                      std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(lr).weight_decay(0)));
  torch::optim::AdamW opt(std::move(groups), torch::optim::AdamWOptions(lr));
  for (int step = 1; step <= 5; ++step) {
    std::vector<torch::Tensor> g = {torch::randn({37}), torch::randn({5, 7})};
    for (size_t i = 0; i < 2; ++i) theirs[i].mutable_grad() = g[i].clone();
    opt.step();
    adamw_step(mine, g, m, v, step, lr, 0.9, 0.999, 1e-8, wd, {true, false});
  }
  for (size_t i = 0; i < 2; ++i) expect_close(mine[i], theirs[i].detach(), 1e-6, 1e-5, "param " + std::to_string(i));
}

// The model's fused path (CPU = the references) against its composite torch path, evaluation
// mode: logits on non-padding positions and every parameter's gradient of the token loss.
void expect_model_paths_agree(const nlohmann::json& cfg_json, const std::vector<int64_t>& lengths) {
  auto cfg = model::config_from_json(cfg_json, "test");
  torch::manual_seed(3);
  model::TokenClassifier m(cfg);
  m->init_heads(4);
  m->eval();
  const int64_t batch = static_cast<int64_t>(lengths.size()), seq = 9;
  auto ids = torch::randint(3, cfg.vocab_size, {batch, seq}, torch::kLong);
  auto mask = torch::zeros({batch, seq}, torch::kLong);
  for (int64_t i = 0; i < batch; ++i) mask[i].narrow(0, 0, lengths[static_cast<size_t>(i)]).fill_(1);
  ids = ids.masked_fill(mask.eq(0), cfg.pad_token_id);
  auto labels = (ids % 3).masked_fill(mask.eq(0), -100);
  EXPECT_EQ(m->kernels(), KernelMode::Auto);
  auto run = [&](KernelMode mode) {
    m->set_kernels(mode);
    m->zero_grad();
    auto out = m->forward(ids, mask);
    m->token_loss(out.token_logits, labels).backward();
    std::map<std::string, torch::Tensor> grads;
    for (const auto& p : m->named_parameters()) grads[p.key()] = p.value().grad().clone();
    return std::make_pair(out.token_logits.detach(), grads);
  };
  auto [fused_logits, fused_grads] = run(KernelMode::Fused);
  auto [torch_logits, torch_grads] = run(KernelMode::Torch);
  auto valid = mask.to(torch::kBool).unsqueeze(-1);
  expect_close(fused_logits.masked_select(valid), torch_logits.masked_select(valid), 1e-5, 1e-4, "logits");
  for (const auto& [name, g] : torch_grads) expect_close(fused_grads.at(name), g, 1e-5, 1e-3, "grad " + name);
}

nlohmann::json tiny(const std::string& type, const std::string& act = "gelu") {
  return {{"model_type", type},          {"vocab_size", 97},
          {"hidden_size", 36},           {"num_hidden_layers", 2},
          {"num_attention_heads", 4},    {"intermediate_size", 37},
          {"max_position_embeddings", 24}, {"type_vocab_size", type == "bert" ? 2 : 1},
          {"pad_token_id", type == "bert" ? 0 : 1}, {"hidden_act", act},
          {"id2label", {{"0", "O"}, {"1", "B-x"}, {"2", "I-x"}}}};
}

TEST(FusedModel, BertPathsAgree) { expect_model_paths_agree(tiny("bert"), {9, 1, 5}); }
TEST(FusedModel, RobertaPathsAgree) { expect_model_paths_agree(tiny("roberta"), {4, 9}); }
TEST(FusedModel, GeluTanhFallsBackInsideFusedPath) { expect_model_paths_agree(tiny("bert", "gelu_new"), {6, 2}); }

// An all-padding sequence: the fused path gives finite values (attention weights all zero),
// and the other items are unaffected by it (batch invariance).
TEST(FusedModel, AllPaddingRowIsFiniteAndInvisible) {
  auto cfg = model::config_from_json(tiny("bert"), "test");
  torch::manual_seed(3);
  model::TokenClassifier m(cfg);
  m->eval();
  m->set_kernels(KernelMode::Fused);
  auto ids = torch::randint(3, 97, {2, 6}, torch::kLong);
  auto mask = torch::ones({2, 6}, torch::kLong);
  mask[1].fill_(0);
  auto both = m->forward(ids, mask).token_logits;
  auto alone = m->forward(ids.narrow(0, 0, 1), mask.narrow(0, 0, 1)).token_logits;
  EXPECT_TRUE(torch::isfinite(both).all().item<bool>());
  expect_close(both.narrow(0, 0, 1), alone, 1e-6, 1e-5, "item 0 with and without an all-padding neighbour");
}

TEST(FusedModel, TrainingDropoutRunsAndIsReproducible) {
  auto j = tiny("bert");
  j["hidden_dropout_prob"] = 0.1;
  j["attention_probs_dropout_prob"] = 0.1;
  auto cfg = model::config_from_json(j, "test");
  torch::manual_seed(3);
  model::TokenClassifier m(cfg);
  m->train();
  m->set_kernels(KernelMode::Fused);
  auto ids = torch::randint(3, 97, {2, 6}, torch::kLong);
  auto mask = torch::ones({2, 6}, torch::kLong);
  torch::manual_seed(5);
  auto a = m->forward(ids, mask).token_logits;
  torch::manual_seed(5);
  auto b = m->forward(ids, mask).token_logits;
  auto c = m->forward(ids, mask).token_logits;
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, c));
  m->token_loss(a, torch::zeros({2, 6}, torch::kLong)).backward();
  for (const auto& p : m->parameters()) EXPECT_TRUE(torch::isfinite(p.grad()).all().item<bool>());
}

// 50 steps: fused (references) vs torch on the CPU in fp32 follow the same loss curve.
TEST(FusedTraining, CpuFp32LossCurvesAgree) {
  auto fused = train_losses(KernelMode::Fused, torch::kCPU, torch::kFloat, 50);
  auto composite = train_losses(KernelMode::Torch, torch::kCPU, torch::kFloat, 50);
  EXPECT_LT(composite.back(), composite.front() * 0.8) << "the model should learn";
  const double diff = max_relative_difference(fused, composite);
  std::ostringstream msg;
  msg << diff << " (loss " << composite.front() << " -> " << composite.back() << ")";
  RecordProperty("max_relative_loss_difference", msg.str());
  EXPECT_LE(diff, 1e-3) << "first " << fused.front() << " vs " << composite.front() << ", last " << fused.back()
                        << " vs " << composite.back();
}

TEST(FusedOps, DeviceInfoReportsTheBuild) {
  const auto info = device_info();
#ifdef TRIAGE_WITH_CUDA
  EXPECT_TRUE(info.built_with_cuda);
  EXPECT_FALSE(info.architectures.empty());
#else
  EXPECT_FALSE(info.built_with_cuda);
#endif
}

}  // namespace
}  // namespace triage::kernels::testing
