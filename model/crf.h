// The CRF head (model.head: crf, issue 18): a linear-chain conditional random field over the
// token classifier's labels, scored on each word's first sub-word (the positions whose label
// is not -100). Start, end and label-to-label transition scores, trained with the sequence
// negative log-likelihood (forward algorithm in log space), decoded by Viterbi
// (data/viterbi.h) with the BIO rules kept as hard constraints. Torch ops only, so it runs
// wherever the model does (CPU, CUDA, under autocast in fp32).
// Saved as crf.start_transitions / crf.end_transitions / crf.transitions (pytorch-crf's
// names): tensors transformers' AutoModelForTokenClassification does not know and skips, so
// the token head alone still loads there.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Generator.h>
#include <torch/nn/module.h>

#include "data/viterbi.h"

namespace triage::model {

struct CrfImpl : torch::nn::Module {
  explicit CrfImpl(int64_t num_labels);
  // uniform(-0.1, 0.1), as pytorch-crf initialises them.
  void init(at::Generator& gen);
  // emissions [batch, n, labels] (any float dtype; math in fp32); tags [batch, n] int64;
  // mask [batch, n] bool, true on a prefix of each row (a row may be empty).
  // log Z per sequence [batch] (0 for an empty row).
  torch::Tensor log_partition(const torch::Tensor& emissions, const torch::Tensor& mask) const;
  // Score of the given tag sequence per sequence [batch] (0 for an empty row).
  torch::Tensor score(const torch::Tensor& emissions, const torch::Tensor& tags, const torch::Tensor& mask) const;
  // The decoding table over schema tag ids: column_of_tag[t] is tag t's label column. BIO's
  // forbidden moves stay forbidden (-infinity) whatever the learned scores.
  data::Transitions transitions_for(const std::vector<int32_t>& column_of_tag) const;

  torch::Tensor start_transitions, end_transitions;  // [labels]
  torch::Tensor transitions;                         // [labels (from), labels (to)]
};
TORCH_MODULE(Crf);

// The words of each window: the positions whose label is not ignore_index, moved to the front
// of their row in order. emissions [batch, n_words, labels], tags [batch, n_words] (0 past the
// end), mask [batch, n_words]; n_words is the most any row has.
struct LabelledWords {
  torch::Tensor emissions, tags, mask;
  int64_t count = 0;  // labelled positions in the batch
};
LabelledWords labelled_words(const torch::Tensor& logits, const torch::Tensor& labels, int64_t ignore_index = -100);

// The CRF's token term: the summed sequence negative log-likelihood of the batch's windows
// over its labelled positions (so the trainer's per-sub-word step shares apply as they do to
// the cross-entropy); 0 with a zero gradient when nothing is labelled.
torch::Tensor crf_token_loss(const CrfImpl& crf, const torch::Tensor& logits, const torch::Tensor& labels,
                             int64_t ignore_index = -100);

}  // namespace triage::model
