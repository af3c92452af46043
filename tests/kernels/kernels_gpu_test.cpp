// GPU tests of the fused ops (label gpu; CI has no GPU and excludes the label; each test
// skips when no CUDA device is visible): every CUDA kernel against its C++ reference on the
// same shapes as the CPU tests, in fp32 and bf16, forward and gradients; and 50 training
// steps with kernels=fused vs kernels=torch on the GPU.
//
// Tolerances (|diff| <= atol * max(1, max|ref|) + rtol * |ref|):
//   fp32  atol 1e-5, rtol 1e-4   (same formulas; only summation order and expf differ)
//   bf16  atol 3e-2, rtol 3e-2   (inputs identical; the kernel rounds its outputs and the
//                                 tensors it saves for backward to bf16, the reference not)
// Training: max relative loss difference over 50 steps <= 1e-3 in fp32, <= 1e-2 in bf16.
#include <gtest/gtest.h>

#include <sstream>

#include <torch/torch.h>

#include "tests/kernels/fused_training.h"
#include "tests/kernels/kernel_parity.h"

namespace triage::kernels::testing {
namespace {

INSTANTIATE_TEST_SUITE_P(
    Cuda, KernelParity,
    ::testing::Values(Case{"cuda_fp32_vs_reference", torch::kCUDA, torch::kFloat, 1e-5, 1e-4, true},
                      Case{"cuda_bf16_vs_reference", torch::kCUDA, torch::kBFloat16, 3e-2, 3e-2, true}),
    [](const auto& info) { return std::string(info.param.name); });

struct TrainingCase {
  const char* name;
  torch::ScalarType dtype;
  double max_relative_difference;
};

class FusedTrainingGpu : public ::testing::TestWithParam<TrainingCase> {};

TEST_P(FusedTrainingGpu, LossCurvesAgree) {
  if (!cuda_present()) GTEST_SKIP() << "no CUDA device on this machine";
  const auto& c = GetParam();
  auto fused = train_losses(KernelMode::Fused, torch::kCUDA, c.dtype, 50);
  auto composite = train_losses(KernelMode::Torch, torch::kCUDA, c.dtype, 50);
  EXPECT_LT(composite.back(), composite.front() * 0.8) << "the model should learn";
  const double diff = max_relative_difference(fused, composite);
  std::ostringstream msg;
  msg << diff << " (loss " << composite.front() << " -> " << composite.back() << ")";
  RecordProperty("max_relative_loss_difference", msg.str());
  EXPECT_LE(diff, c.max_relative_difference)
      << "first " << fused.front() << " vs " << composite.front() << ", last " << fused.back() << " vs "
      << composite.back();
}

INSTANTIATE_TEST_SUITE_P(Cuda, FusedTrainingGpu,
                         ::testing::Values(TrainingCase{"fp32", torch::kFloat, 1e-3},
                                           TrainingCase{"bf16", torch::kBFloat16, 1e-2}),
                         [](const auto& info) { return std::string(info.param.name); });

// The default mode picks the fused kernels on CUDA, and they agree with the torch path.
TEST(FusedModelGpu, AutoModeUsesFusedKernelsOnCuda) {
  if (!cuda_present()) GTEST_SKIP() << "no CUDA device on this machine";
  auto cfg = training_config();
  torch::manual_seed(3);
  model::TokenClassifier m(cfg);
  m->to(torch::kCUDA);
  m->eval();
  auto ids = torch::randint(1, cfg.vocab_size, {4, 17}, torch::kLong).to(torch::kCUDA);
  auto mask = torch::ones({4, 17}, torch::kLong).to(torch::kCUDA);
  mask[2].narrow(0, 5, 12).fill_(0);
  auto fused = m->forward(ids, mask).token_logits;
  m->set_kernels(KernelMode::Torch);
  auto composite = m->forward(ids, mask).token_logits;
  auto valid = mask.to(torch::kBool).unsqueeze(-1);
  expect_close(fused.masked_select(valid), composite.masked_select(valid), 1e-5, 1e-4, "logits auto vs torch");
}

}  // namespace
}  // namespace triage::kernels::testing
