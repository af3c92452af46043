// The training objective, in one call: token cross-entropy over sub-words (label -100
// ignored; with a CRF head its sequence negative log-likelihood) plus loss.intent_weight x the intent cross-entropy when the model has an intent
// head, with optional class weights and label smoothing, normalised as the trainer documents
// (train/trainer.h): each micro-batch's mean losses weighted by its share of the step.
#pragma once

#include <torch/types.h>

#include "kernels/kernel_mode.h"
#include "model/crf.h"

namespace triage::train {

struct LossSettings {
  double intent_weight = 1.0;
  double label_smoothing = 0.0;
  torch::Tensor class_weights;  // [num_labels] or undefined
  // model.kernels: the token term runs the fused cross-entropy kernel where
  // kernels::use_fused says so (its C++ reference on the CPU) - unless class weights or
  // label smoothing are set, which only torch's cross_entropy implements.
  kernels::KernelMode kernels = kernels::KernelMode::Torch;
  // model.head crf: the token term is the CRF's sequence negative log-likelihood per labelled
  // sub-word (model::crf_token_loss) instead of the cross-entropy (class weights and label
  // smoothing do not apply; the config refuses them).
  const model::CrfImpl* crf = nullptr;
};

struct LossParts {
  torch::Tensor total;   // scalar, differentiable: token_share x token + intent_weight x intent_share x intent
  double token = 0.0;    // the batch's own mean losses, detached, for logging
  double intent = 0.0;
};

// token_logits: [batch, seq, labels]; labels: [batch, seq] int64 with -100 ignored;
// intent_logits: [batch, intents] or undefined; intents: [batch] int64 (-100 ignored) or
// undefined. token_share / intent_share: this batch's labelled sub-words (class-weighted)
// and labelled utterances over the whole step's (1 = the batch alone). No labelled sub-word
// gives a token term of 0; no labelled utterance (or intent_weight 0) no intent term.
LossParts compute_loss(const torch::Tensor& token_logits, const torch::Tensor& labels,
                       const torch::Tensor& intent_logits, const torch::Tensor& intents,
                       const LossSettings& s, double token_share = 1.0, double intent_share = 1.0);

}  // namespace triage::train
