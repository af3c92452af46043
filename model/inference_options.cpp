// The one inference setup (see inference_options.h).
#include "model/inference_options.h"

#include <algorithm>

#include "core/error.h"

namespace triage::model {

PredictOptions inference_options(const CheckpointMeta& meta, const ModelConfig& config,
                                 const InferenceOverrides& o) {
  const int64_t positions = config.max_position_embeddings - config.position_offset();
  std::string len_from = o.max_seq_len ? o.max_seq_len_key : meta.where() + ": max_seq_len";
  int64_t len = o.max_seq_len ? *o.max_seq_len : meta.max_seq_len.value_or(kDefaultMaxSeqLen);
  len = std::min(len, positions);
  if (len < 3)
    throw InputError(len_from + ": expected a window of at least 3 sub-words (2 special tokens and content), found " +
                     std::to_string(len));
  int64_t stride = 0;
  std::string stride_from;
  if (o.stride) {
    stride = *o.stride;
    stride_from = o.stride_key;
  } else if (meta.stride) {
    stride = *meta.stride;
    stride_from = meta.where() + ": stride";
  } else {
    stride = kDefaultStride < len - 2 ? kDefaultStride : (len - 2) / 4;
  }
  if (stride < 0 || stride >= len - 2)
    throw InputError(stride_from + " " + std::to_string(stride) + ": expected 0 <= stride < max_seq_len - 2 = " +
                     std::to_string(len - 2));
  PredictOptions po;
  po.windows.max_seq_len = static_cast<int32_t>(len);
  po.windows.stride = static_cast<int32_t>(stride);
  po.aggregation = o.aggregation;
  std::string decode_from = o.decode_key;
  if (o.decode) {
    po.decode = *o.decode;
  } else if (meta.decode_mode) {
    const auto mode = data::parse_decode_mode(*meta.decode_mode);
    decode_from = meta.where() + ": key 'decode_mode'";
    if (!mode)
      throw InputError(decode_from + ": expected greedy, constrained or crf, found '" + *meta.decode_mode + "'");
    po.decode = *mode;
  } else if (config.crf_head) {
    po.decode = data::DecodeMode::crf;
  }
  if (po.decode == data::DecodeMode::crf && !config.crf_head)
    throw InputError(decode_from + ": crf needs a checkpoint with a CRF head (config.json \"triage_head\": \"crf\", "
                     "trained with model.head: crf); this checkpoint has a softmax head (use greedy or constrained)");
  if (meta.calibration && o.calibrated) {
    po.intent_temperature = meta.calibration->intent_temperature;
    po.token_temperature = meta.calibration->token_temperature;
  }
  po.max_tokens = std::max(o.max_tokens, len);
  po.max_batch_size = std::max<int32_t>(1, o.max_batch_size);
  return po;
}

}  // namespace triage::model
