// Viterbi decoding over transition scores (see viterbi.h).
#include "data/viterbi.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "data/labels.h"

namespace triage::data {

namespace {
constexpr float kForbidden = -std::numeric_limits<float>::infinity();

bool allowed(int32_t from, int32_t to) {  // from -1: the start of the sequence
  if (to <= 0 || LabelSchema::is_begin(to)) return true;
  return from > 0 && LabelSchema::type_of_tag(from) == LabelSchema::type_of_tag(to);
}
}  // namespace

Transitions bio_transitions(int32_t n_tags) {
  Transitions t;
  t.n_tags = n_tags;
  t.step.assign(static_cast<size_t>(n_tags) * n_tags, 0.0f);
  t.start.assign(n_tags, 0.0f);
  t.end.assign(n_tags, 0.0f);
  for (int32_t to = 0; to < n_tags; ++to) {
    if (!allowed(-1, to)) t.start[to] = kForbidden;
    for (int32_t from = 0; from < n_tags; ++from)
      if (!allowed(from, to)) t.step[static_cast<size_t>(from) * n_tags + to] = kForbidden;
  }
  return t;
}

bool valid_bio(const std::vector<int32_t>& tags) {
  for (size_t i = 0; i < tags.size(); ++i)
    if (!allowed(i == 0 ? -1 : tags[i - 1], tags[i])) return false;
  return true;
}

std::vector<int32_t> viterbi(const float* emissions, int32_t n, const Transitions& t) {
  const int32_t T = t.n_tags;
  if (static_cast<int64_t>(t.step.size()) != int64_t{T} * T || static_cast<int32_t>(t.start.size()) != T ||
      static_cast<int32_t>(t.end.size()) != T)
    throw Error("viterbi: transition tables do not match " + std::to_string(T) + " tags");
  std::vector<int32_t> path(static_cast<size_t>(std::max(n, 0)));
  if (n <= 0) return path;
  std::vector<float> score(T), next(T);
  std::vector<int32_t> back(static_cast<size_t>(n) * T, 0);
  for (int32_t k = 0; k < T; ++k) score[k] = t.start[k] + emissions[k];
  for (int32_t i = 1; i < n; ++i) {
    const float* e = emissions + static_cast<int64_t>(i) * T;
    for (int32_t to = 0; to < T; ++to) {
      float best = kForbidden;
      int32_t arg = 0;
      for (int32_t from = 0; from < T; ++from) {
        const float s = score[from] + t.step[static_cast<size_t>(from) * T + to];
        if (s > best) best = s, arg = from;
      }
      next[to] = best + e[to];
      back[static_cast<size_t>(i) * T + to] = arg;
    }
    score.swap(next);
  }
  float best = kForbidden;
  int32_t last = -1;
  for (int32_t k = 0; k < T; ++k)
    if (score[k] + t.end[k] > best) best = score[k] + t.end[k], last = k;
  if (last < 0) {  // no finite path: each position's own best
    for (int32_t i = 0; i < n; ++i) {
      const float* e = emissions + static_cast<int64_t>(i) * T;
      path[i] = static_cast<int32_t>(std::max_element(e, e + T) - e);
    }
    return path;
  }
  path[n - 1] = last;
  for (int32_t i = n - 1; i > 0; --i) path[i - 1] = back[static_cast<size_t>(i) * T + path[i]];
  return path;
}

}  // namespace triage::data
