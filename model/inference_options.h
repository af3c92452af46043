// The one inference setup: how a checkpoint is windowed and batched for prediction, from its
// triage.json plus a caller's explicit overrides. triage-serve, triage-eval, triage-model
// and the trainer's dev/test evaluation all call it, so a checkpoint is windowed the same
// way whichever binary answers with it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "data/decode.h"
#include "model/checkpoint_meta.h"
#include "model/config.h"
#include "model/predictor.h"

namespace triage::model {

struct InferenceOverrides {
  // Each unset value comes from triage.json (or the defaults below when it has none).
  std::optional<int64_t> max_seq_len;
  std::optional<int64_t> stride;
  std::string max_seq_len_key = "max_seq_len", stride_key = "stride";  // names in errors (a flag, a config key)
  data::Aggregation aggregation = data::Aggregation::first;
  // unset: triage.json's decode_mode, else crf for a checkpoint with a CRF head, else greedy
  std::optional<data::DecodeMode> decode;
  std::string decode_key = "decode";  // its name in errors (a flag, a config key with file:line)
  int64_t max_tokens = 8192;    // padded sub-words per forward (raised to one full window)
  int32_t max_batch_size = 64;  // windows per forward
  bool calibrated = true;       // false: raw scores, ignoring triage.json's calibration
};

inline constexpr int64_t kDefaultMaxSeqLen = 128;  // a checkpoint without a window setting
inline constexpr int64_t kDefaultStride = 32;

// The window length is the override, else triage.json's, else 128, clamped to the model's
// positions; the stride the override, else triage.json's, else 32 (a default stride is
// lowered to a quarter of a window too short for it). Throws InputError naming where the
// value came from when stride is not in [0, max_seq_len - 2) or max_seq_len < 3, when
// triage.json's decode_mode is not a decode mode, or when the decode mode is crf and the
// checkpoint has no CRF head.
PredictOptions inference_options(const CheckpointMeta& meta, const ModelConfig& config,
                                 const InferenceOverrides& overrides = {});

}  // namespace triage::model
