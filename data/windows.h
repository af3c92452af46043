// Long transcripts: an encoded example longer than the model's max_seq_len is cut into
// overlapping windows of sub-words, never truncated. A sub-word covered by several windows
// takes the prediction of the window where it is most central (the most context on its
// shorter side; ties go to the earlier window).
#pragma once

#include <cstdint>
#include <vector>

#include "data/align.h"
#include "data/tokenizer.h"

namespace triage::data {

struct WindowOptions {
  int32_t max_seq_len = 512;  // sub-words per model input, special tokens included
  int32_t stride = 128;       // sub-words shared by consecutive windows (HF's `stride`)
  int32_t content() const { return max_seq_len - 2; }  // room left after [CLS] ... [SEP]
};

struct Window {
  int32_t begin = 0;  // [begin, end) content sub-words of the example's encoding
  int32_t end = 0;
  bool operator==(const Window&) const = default;
};

// Windows over n content sub-words: starts 0, step, 2*step, ... with step =
// content - stride, the last one aligned to end at n. One (possibly empty) window when n
// fits. Throws InputError unless 0 <= stride < content.
std::vector<Window> make_windows(int32_t n, const WindowOptions& options);

// owner[i] = the window whose prediction sub-word i takes (most central).
std::vector<int32_t> window_owners(const std::vector<Window>& windows, int32_t n);

// Merges per-window rows into one [n, cols] array (row-major, resized): window_rows[w]
// points at [windows[w].end - windows[w].begin, cols] rows for that window's content
// sub-words (special tokens already dropped).
void merge_windows(const std::vector<Window>& windows, const std::vector<const float*>& window_rows,
                   int32_t n, int32_t cols, std::vector<float>& out);

// One model input: a window of an example with the special tokens added.
struct Feature {
  int32_t example = 0;  // index of the example in its split
  int32_t window = 0;   // index of the window within the example
  Window span;          // the window's content sub-words in the example's encoding
  std::vector<int32_t> input_ids;  // [len] cls, content, sep
  std::vector<int32_t> labels;     // [len] kIgnoreLabel at cls/sep; empty when unlabelled
  int32_t intent = kIgnoreLabel;   // every window carries its example's intent
  int32_t size() const { return static_cast<int32_t>(input_ids.size()); }
};

// Appends one Feature per window of encoded to out. Throws Error when the tokenizer has
// no cls or sep token.
void append_features(const EncodedExample& encoded, int32_t example_index,
                     const SpecialTokens& special, const WindowOptions& options,
                     std::vector<Feature>& out);

}  // namespace triage::data
