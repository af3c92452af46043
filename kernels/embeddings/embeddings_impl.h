// Raw entry points of the fused embeddings (contract in embeddings.h): the fp32 reference
// and the CUDA launchers. Row-major buffers, rows = number of tokens. Torch-free.
#pragma once

#include <cstdint>

#include "kernels/common/dtype.h"

namespace triage::kernels {

// The gather tables of one call. type_ids and type may be null (no token-type table).
struct EmbeddingTables {
  const int64_t* ids;
  const int64_t* pos_ids;
  const int64_t* type_ids;
  const void* word;  // [vocab, cols]
  const void* pos;   // [max_pos, cols]
  const void* type;  // [types, cols]
  int64_t vocab, max_pos, types;
};

namespace ref {
// Tables are fp32. Throws std::out_of_range naming the id when one is out of range.
void embeddings_forward(const EmbeddingTables& t, const float* gamma, const float* beta, float eps, float p,
                        uint64_t seed, int64_t rows, int64_t cols, float* y, float* mean, float* rstd);
// Writes (not accumulates) dword [vocab, cols], dpos [max_pos, cols], dtype [types, cols]
// (null when there is no type table) and dparams [2, cols] = dgamma, dbeta.
void embeddings_backward(const EmbeddingTables& t, const float* dy, const float* gamma, const float* mean,
                         const float* rstd, float p, uint64_t seed, int64_t rows, int64_t cols, float* dword,
                         float* dpos, float* dtype, float* dparams);
}  // namespace ref
namespace gpu {
void embeddings_forward(DType d, const EmbeddingTables& t, const void* gamma, const void* beta, float eps, float p,
                        uint64_t seed, int64_t rows, int64_t cols, void* y, float* mean, float* rstd, void* stream);
// dword, dpos, dtype: fp32 accumulators the caller zeroes (atomically added to);
// dparams [2, cols] of type d; partial: fp32 [row_groups(rows), 2 * cols].
void embeddings_backward(DType d, const EmbeddingTables& t, const void* dy, const void* gamma, const float* mean,
                         const float* rstd, float p, uint64_t seed, int64_t rows, int64_t cols, float* dword,
                         float* dpos, float* dtype, void* dparams, float* partial, void* stream);
}  // namespace gpu
}  // namespace triage::kernels
