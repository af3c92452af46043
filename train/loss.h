// Training objective: token cross-entropy over sub-words (label -100 ignored) plus a
// weighted intent cross-entropy when the model has an intent head; optional class
// weights and label smoothing.
#pragma once

#include <torch/types.h>

namespace triage::train {

struct LossSettings {
  double intent_weight = 1.0;
  double label_smoothing = 0.0;
  torch::Tensor class_weights;  // [num_labels] or undefined
};

struct LossParts {
  torch::Tensor total;   // scalar, differentiable
  double token = 0.0;    // detached parts for logging
  double intent = 0.0;
};

// token_logits: [batch, seq, labels]; labels: [batch, seq] int64 with -100 ignored;
// intent_logits: [batch, intents] or undefined; intents: [batch] int64 (-100 ignored).
LossParts compute_loss(const torch::Tensor& token_logits, const torch::Tensor& labels,
                       const torch::Tensor& intent_logits, const torch::Tensor& intents,
                       const LossSettings& s);

}  // namespace triage::train
