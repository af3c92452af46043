// Windows over long encodings (see windows.h).
#include "data/windows.h"

#include <algorithm>

#include "core/error.h"

namespace triage::data {

std::vector<Window> make_windows(int32_t n, const WindowOptions& o) {
  const int32_t content = o.content();
  if (content < 1 || o.stride < 0 || o.stride >= content)
    throw InputError("windows: need 0 <= stride < max_seq_len - 2; got max_seq_len " +
                     std::to_string(o.max_seq_len) + ", stride " + std::to_string(o.stride));
  std::vector<Window> out;
  if (n <= content) {
    out.push_back({0, n});
    return out;
  }
  const int32_t step = content - o.stride;
  int32_t b = 0;
  for (; b + content < n; b += step) out.push_back({b, b + content});
  out.push_back({n - content, n});
  return out;
}

std::vector<int32_t> window_owners(const std::vector<Window>& windows, int32_t n) {
  std::vector<int32_t> owner(static_cast<size_t>(n), -1);
  std::vector<int32_t> best(static_cast<size_t>(n), -1);
  for (size_t w = 0; w < windows.size(); ++w) {
    const Window win = windows[w];
    for (int32_t i = win.begin; i < win.end; ++i) {
      const int32_t centrality = std::min(i - win.begin, win.end - 1 - i);
      if (centrality > best[static_cast<size_t>(i)]) {
        best[static_cast<size_t>(i)] = centrality;
        owner[static_cast<size_t>(i)] = static_cast<int32_t>(w);
      }
    }
  }
  return owner;
}

void merge_windows(const std::vector<Window>& windows, const std::vector<const float*>& rows,
                   int32_t n, int32_t cols, std::vector<float>& out) {
  if (rows.size() != windows.size())
    throw Error("merge_windows: " + std::to_string(rows.size()) + " row arrays for " +
                std::to_string(windows.size()) + " windows");
  const std::vector<int32_t> owner = window_owners(windows, n);
  out.assign(static_cast<size_t>(n) * static_cast<size_t>(cols), 0.0f);
  for (int32_t i = 0; i < n; ++i) {
    const int32_t w = owner[static_cast<size_t>(i)];
    if (w < 0) throw Error("merge_windows: sub-word " + std::to_string(i) + " is in no window");
    const float* src = rows[static_cast<size_t>(w)] +
                       static_cast<int64_t>(i - windows[static_cast<size_t>(w)].begin) * cols;
    std::copy(src, src + cols, out.begin() + static_cast<int64_t>(i) * cols);
  }
}

void append_features(const EncodedExample& enc, int32_t example_index, const SpecialTokens& sp,
                     const WindowOptions& options, std::vector<Feature>& out) {
  if (sp.cls < 0 || sp.sep < 0)
    throw Error("append_features: the tokenizer has no cls/sep token");
  const std::vector<Window> windows = make_windows(static_cast<int32_t>(enc.size()), options);
  const bool labelled = !enc.labels.empty();
  for (size_t w = 0; w < windows.size(); ++w) {
    const Window win = windows[w];
    Feature f;
    f.example = example_index;
    f.window = static_cast<int32_t>(w);
    f.span = win;
    f.intent = enc.intent;
    f.input_ids.reserve(static_cast<size_t>(win.end - win.begin + 2));
    f.input_ids.push_back(sp.cls);
    f.input_ids.insert(f.input_ids.end(), enc.ids.begin() + win.begin, enc.ids.begin() + win.end);
    f.input_ids.push_back(sp.sep);
    if (labelled) {
      f.labels.reserve(f.input_ids.size());
      f.labels.push_back(kIgnoreLabel);
      f.labels.insert(f.labels.end(), enc.labels.begin() + win.begin, enc.labels.begin() + win.end);
      f.labels.push_back(kIgnoreLabel);
    }
    out.push_back(std::move(f));
  }
}

}  // namespace triage::data
