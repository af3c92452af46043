// Training-loss comparison of the two kernel modes: a small BERT trained for N steps with
// the same data, initial weights and optimizer (triage's adamw_step, fp32 masters for bf16)
// under `fused` and under `torch`; the losses must follow the same curve. Dropout is 0 so
// the two runs see the same function (their dropout masks come from different RNGs).
#pragma once

#include <vector>

#include <torch/torch.h>

#include "kernels/adamw/adamw.h"
#include "kernels/kernel_mode.h"
#include "model/config.h"
#include "model/encoder.h"

namespace triage::kernels::testing {

inline model::ModelConfig training_config() {
  nlohmann::json j = {{"model_type", "bert"},
                      {"vocab_size", 211},
                      {"hidden_size", 100},
                      {"num_hidden_layers", 2},
                      {"num_attention_heads", 4},
                      {"intermediate_size", 164},
                      {"max_position_embeddings", 40},
                      {"type_vocab_size", 2},
                      {"hidden_dropout_prob", 0.0},
                      {"attention_probs_dropout_prob", 0.0},
                      {"id2label", {{"0", "O"}, {"1", "B-a"}, {"2", "I-a"}, {"3", "B-b"}, {"4", "I-b"}}}};
  return model::config_from_json(j, "training_config");
}

// Loss after each of `steps` AdamW steps. Labels are a function of the token id (learnable),
// -100 at padding; sequence lengths vary from 1 to the batch's length.
inline std::vector<double> train_losses(KernelMode mode, torch::Device device, torch::ScalarType dtype, int steps) {
  const auto cfg = training_config();
  torch::manual_seed(0);
  model::TokenClassifier m(cfg);
  m->init_heads(1);
  m->to(device);
  std::vector<torch::Tensor> params, masters_fp32, exp_avg, exp_avg_sq;
  std::vector<bool> decay;
  for (const auto& item : m->named_parameters()) {
    const auto& name = item.key();
    decay.push_back(name.find("bias") == std::string::npos && name.find("LayerNorm") == std::string::npos);
    masters_fp32.push_back(item.value().detach().clone().to(torch::kFloat));
    exp_avg.push_back(torch::zeros_like(masters_fp32.back()));
    exp_avg_sq.push_back(torch::zeros_like(masters_fp32.back()));
  }
  m->to(dtype);
  for (const auto& p : m->parameters()) params.push_back(p);
  const bool masters = dtype != torch::kFloat;

  const int64_t batch = 8, seq = 32, num_batches = 4;
  std::vector<torch::Tensor> ids, masks, labels;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  for (int64_t i = 0; i < num_batches; ++i) {
    auto id = torch::randint(1, cfg.vocab_size, {batch, seq}, gen, torch::kLong);
    auto len = torch::randint(1, seq + 1, {batch, 1}, gen, torch::kLong);
    auto mask = torch::arange(seq, torch::kLong).unsqueeze(0) < len;
    id = id.masked_fill(mask.logical_not(), 0);
    auto label = (id % 5).masked_fill(mask.logical_not(), -100);
    ids.push_back(id.to(device));
    masks.push_back(mask.to(torch::kLong).to(device));
    labels.push_back(label.to(device));
  }
  m->train();
  m->set_kernels(mode);
  std::vector<double> losses;
  for (int step = 1; step <= steps; ++step) {
    const auto b = static_cast<size_t>(step % num_batches);
    auto out = m->forward(ids[b], masks[b]);
    auto loss = m->token_loss(out.token_logits, labels[b]);
    m->zero_grad();
    loss.backward();
    std::vector<torch::Tensor> grads;
    for (const auto& p : params) grads.push_back(p.grad());
    adamw_step(params, grads, exp_avg, exp_avg_sq, step, 1e-3, 0.9, 0.999, 1e-8, 0.01, decay,
               masters ? at::TensorList(masters_fp32) : at::TensorList());
    losses.push_back(loss.item<double>());
  }
  return losses;
}

// Largest |fused - torch| / |torch| over the steps.
inline double max_relative_difference(const std::vector<double>& fused, const std::vector<double>& torch_losses) {
  double worst = 0;
  for (size_t i = 0; i < fused.size() && i < torch_losses.size(); ++i)
    worst = std::max(worst, std::abs(fused[i] - torch_losses[i]) / std::max(1e-12, std::abs(torch_losses[i])));
  return worst;
}

}  // namespace triage::kernels::testing
