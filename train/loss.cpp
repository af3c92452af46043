// The training objective (see loss.h).
#include "train/loss.h"

#include <torch/torch.h>

#include "model/encoder.h"

namespace triage::train {

LossParts compute_loss(const torch::Tensor& token_logits, const torch::Tensor& labels,
                       const torch::Tensor& intent_logits, const torch::Tensor& intents, const LossSettings& s,
                       double token_share, double intent_share) {
  namespace F = torch::nn::functional;
  LossParts out;
  torch::Tensor token_loss;
  if (s.crf) {
    token_loss = model::crf_token_loss(*s.crf, token_logits, labels);
  } else if (!s.class_weights.defined() && s.label_smoothing == 0.0) {
    token_loss = model::token_cross_entropy(s.kernels, token_logits, labels);
  } else {
    const auto n_labels = token_logits.size(-1);
    auto opts = F::CrossEntropyFuncOptions().ignore_index(-100).label_smoothing(s.label_smoothing);
    if (s.class_weights.defined()) opts = opts.weight(s.class_weights.to(token_logits.device(), torch::kFloat));
    token_loss = F::cross_entropy(token_logits.reshape({-1, n_labels}).to(torch::kFloat), labels.reshape({-1}), opts);
    if (labels.ne(-100).sum().item<int64_t>() == 0) token_loss = token_logits.sum().to(torch::kFloat) * 0.0;
  }
  out.token = token_loss.item<double>();
  out.total = token_loss * token_share;
  if (intent_logits.defined() && intents.defined() && s.intent_weight != 0.0 &&
      intents.ne(-100).sum().item<int64_t>() > 0) {
    auto intent_loss = F::cross_entropy(
        intent_logits.to(torch::kFloat), intents,
        F::CrossEntropyFuncOptions().ignore_index(-100).label_smoothing(s.label_smoothing));
    out.intent = intent_loss.item<double>();
    out.total = out.total + intent_loss * (s.intent_weight * intent_share);
  }
  return out;
}

}  // namespace triage::train
