// The CRF head (see crf.h).
#include "model/crf.h"

#include <limits>

#include <torch/torch.h>

#include "core/error.h"

namespace triage::model {

CrfImpl::CrfImpl(int64_t num_labels) {
  start_transitions = register_parameter("start_transitions", torch::zeros({num_labels}));
  end_transitions = register_parameter("end_transitions", torch::zeros({num_labels}));
  transitions = register_parameter("transitions", torch::zeros({num_labels, num_labels}));
}

void CrfImpl::init(at::Generator& gen) {
  torch::NoGradGuard no_grad;
  for (auto* t : {&start_transitions, &end_transitions, &transitions}) t->uniform_(-0.1, 0.1, gen);
}

namespace {

void check_shapes(const torch::Tensor& emissions, const torch::Tensor& mask, int64_t labels) {
  if (emissions.dim() != 3 || emissions.size(2) != labels)
    throw Error("crf: emissions [batch, n, " + std::to_string(labels) + "] expected, found " +
                std::to_string(emissions.dim()) + " dims, last " + std::to_string(emissions.size(-1)));
  if (mask.sizes() != emissions.sizes().slice(0, 2)) throw Error("crf: mask must be [batch, n] like the emissions");
}

}  // namespace

torch::Tensor CrfImpl::log_partition(const torch::Tensor& emissions, const torch::Tensor& mask) const {
  check_shapes(emissions, mask, transitions.size(0));
  const auto e = emissions.to(torch::kFloat);
  const int64_t n = e.size(1);
  if (n == 0) return torch::zeros({e.size(0)}, e.options());
  auto alpha = start_transitions.unsqueeze(0) + e.select(1, 0);  // [batch, labels]
  const auto trans = transitions.unsqueeze(0);                    // [1, from, to]
  for (int64_t i = 1; i < n; ++i) {
    auto next = torch::logsumexp(alpha.unsqueeze(2) + trans, 1) + e.select(1, i);
    alpha = torch::where(mask.select(1, i).unsqueeze(1), next, alpha);
  }
  auto log_z = torch::logsumexp(alpha + end_transitions.unsqueeze(0), 1);
  return torch::where(mask.select(1, 0), log_z, torch::zeros_like(log_z));
}

torch::Tensor CrfImpl::score(const torch::Tensor& emissions, const torch::Tensor& tags, const torch::Tensor& mask) const {
  check_shapes(emissions, mask, transitions.size(0));
  const auto e = emissions.to(torch::kFloat);
  const int64_t n = e.size(1);
  if (n == 0) return torch::zeros({e.size(0)}, e.options());
  const auto m = mask.to(torch::kFloat);
  const auto t = tags.clamp_min(0);
  auto s = (e.gather(2, t.unsqueeze(2)).squeeze(2) * m).sum(1) + start_transitions.index({t.select(1, 0)});
  if (n > 1) {
    const auto from = t.slice(1, 0, n - 1), to = t.slice(1, 1, n);
    s = s + (transitions.index({from, to}) * m.slice(1, 1, n)).sum(1);
  }
  const auto lengths = mask.sum(1);  // int64
  const auto last = t.gather(1, (lengths - 1).clamp_min(0).unsqueeze(1)).squeeze(1);
  s = s + end_transitions.index({last});
  return torch::where(mask.select(1, 0), s, torch::zeros_like(s));
}

data::Transitions CrfImpl::transitions_for(const std::vector<int32_t>& column_of_tag) const {
  const auto n_tags = static_cast<int32_t>(column_of_tag.size());
  data::Transitions t = data::bio_transitions(n_tags);  // 0 where allowed, -inf where not
  const auto start = start_transitions.detach().to(torch::kCPU, torch::kFloat).contiguous();
  const auto end = end_transitions.detach().to(torch::kCPU, torch::kFloat).contiguous();
  const auto step = transitions.detach().to(torch::kCPU, torch::kFloat).contiguous();
  const int64_t L = step.size(0);
  const float* s = start.data_ptr<float>();
  const float* e = end.data_ptr<float>();
  const float* st = step.data_ptr<float>();
  for (int32_t to = 0; to < n_tags; ++to) {
    const int64_t c_to = column_of_tag[static_cast<size_t>(to)];
    if (c_to < 0 || c_to >= L) throw Error("crf: tag column " + std::to_string(c_to) + " out of range");
    t.start[static_cast<size_t>(to)] += s[c_to];
    t.end[static_cast<size_t>(to)] += e[c_to];
    for (int32_t from = 0; from < n_tags; ++from)
      t.step[static_cast<size_t>(from) * n_tags + to] += st[column_of_tag[static_cast<size_t>(from)] * L + c_to];
  }
  return t;
}

LabelledWords labelled_words(const torch::Tensor& logits, const torch::Tensor& labels, int64_t ignore_index) {
  LabelledWords w;
  const auto labelled = labels.ne(ignore_index);           // [batch, seq]
  const auto per_row = labelled.sum(1);                     // [batch]
  w.count = per_row.sum().item<int64_t>();
  const int64_t n = w.count ? per_row.max().item<int64_t>() : 0;
  // Labelled positions first, in order: a stable sort on "not labelled".
  const auto order = std::get<1>(torch::sort(labelled.logical_not().to(torch::kInt), /*stable=*/true, 1, false));
  const auto idx = order.slice(1, 0, n);                    // [batch, n]
  w.emissions = logits.gather(1, idx.unsqueeze(2).expand({-1, -1, logits.size(2)}));
  w.mask = torch::arange(n, labels.options()).unsqueeze(0) < per_row.unsqueeze(1);
  w.tags = torch::where(w.mask, labels.gather(1, idx), torch::zeros_like(idx));
  return w;
}

torch::Tensor crf_token_loss(const CrfImpl& crf, const torch::Tensor& logits, const torch::Tensor& labels,
                             int64_t ignore_index) {
  const auto w = labelled_words(logits, labels, ignore_index);
  if (w.count == 0) return logits.sum().to(torch::kFloat) * 0.0;
  const auto nll = crf.log_partition(w.emissions, w.mask) - crf.score(w.emissions, w.tags, w.mask);
  return nll.sum() / static_cast<double>(w.count);
}

}  // namespace triage::model
