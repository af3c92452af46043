// Raw entry points of the attention softmax (contract in attention_softmax.h): the fp32
// reference and the CUDA launchers. Scores are rows of `keys` values; row r belongs to batch
// item r / rows_per_item (rows_per_item = heads * Sq). Torch-free.
#pragma once

#include <cstdint>

#include "kernels/common/dtype.h"

namespace triage::kernels {

struct AttentionShape {
  int64_t rows;           // B * heads * Sq
  int64_t rows_per_item;  // heads * Sq
  int64_t keys;           // Sk
};

namespace ref {
// y: probabilities before dropout; out: after dropout (may be y when p == 0).
void attention_softmax_forward(const float* scores, const uint8_t* key_mask, float scale, float p, uint64_t seed,
                               const AttentionShape& s, float* y, float* out);
void attention_softmax_backward(const float* dout, const float* y, float scale, float p, uint64_t seed,
                                const AttentionShape& s, float* dscores);
}  // namespace ref
namespace gpu {
void attention_softmax_forward(DType t, const void* scores, const uint8_t* key_mask, float scale, float p,
                               uint64_t seed, const AttentionShape& s, void* y, void* out, void* stream);
void attention_softmax_backward(DType t, const void* dout, const void* y, float scale, float p, uint64_t seed,
                                const AttentionShape& s, void* dscores, void* stream);
}  // namespace gpu
}  // namespace triage::kernels
