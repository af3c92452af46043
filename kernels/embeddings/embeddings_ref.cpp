// Fused embeddings reference: plain fp32 loops, the CPU path and the oracle of the CUDA tests.
#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/common/layer_norm_ref.h"
#include "kernels/common/math.h"
#include "kernels/embeddings/embeddings_impl.h"

namespace triage::kernels::ref {
namespace {
void check_id(int64_t id, int64_t n, const char* what, int64_t row) {
  if (id < 0 || id >= n)
    throw std::out_of_range(std::string("embeddings_layer_norm: ") + what + " " + std::to_string(id) +
                            " at token " + std::to_string(row) + " is outside [0, " + std::to_string(n) + ")");
}

// z = word[id] + pos[p] (+ type[t]) for token r.
void gather(const EmbeddingTables& t, int64_t r, int64_t cols, float* z) {
  check_id(t.ids[r], t.vocab, "input id", r);
  check_id(t.pos_ids[r], t.max_pos, "position id", r);
  const float* w = static_cast<const float*>(t.word) + t.ids[r] * cols;
  const float* p = static_cast<const float*>(t.pos) + t.pos_ids[r] * cols;
  for (int64_t f = 0; f < cols; ++f) z[f] = w[f] + p[f];
  if (t.type) {
    check_id(t.type_ids[r], t.types, "token type id", r);
    const float* ty = static_cast<const float*>(t.type) + t.type_ids[r] * cols;
    for (int64_t f = 0; f < cols; ++f) z[f] += ty[f];
  }
}
}  // namespace

void embeddings_forward(const EmbeddingTables& t, const float* gamma, const float* beta, float eps, float p,
                        uint64_t seed, int64_t rows, int64_t cols, float* y, float* mean, float* rstd) {
  std::vector<float> z(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    gather(t, r, cols, z.data());
    float* yr = y + r * cols;
    layer_norm_row(z.data(), gamma, beta, eps, cols, yr, mean + r, rstd + r);
    for (int64_t f = 0; f < cols; ++f) yr[f] *= dropout_factor(seed, static_cast<uint64_t>(r * cols + f), p);
  }
}

void embeddings_backward(const EmbeddingTables& t, const float* dy, const float* gamma, const float* mean,
                         const float* rstd, float p, uint64_t seed, int64_t rows, int64_t cols, float* dword,
                         float* dpos, float* dtype, float* dparams) {
  std::fill(dword, dword + t.vocab * cols, 0.0f);
  std::fill(dpos, dpos + t.max_pos * cols, 0.0f);
  if (t.type) std::fill(dtype, dtype + t.types * cols, 0.0f);
  std::fill(dparams, dparams + 2 * cols, 0.0f);
  std::vector<float> z(static_cast<size_t>(cols)), dv(static_cast<size_t>(cols)), dz(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    gather(t, r, cols, z.data());
    for (int64_t f = 0; f < cols; ++f)
      dv[f] = dy[r * cols + f] * dropout_factor(seed, static_cast<uint64_t>(r * cols + f), p);
    layer_norm_row_backward(dv.data(), z.data(), mean[r], rstd[r], gamma, cols, dz.data(), dparams, dparams + cols);
    float* gw = dword + t.ids[r] * cols;
    float* gp = dpos + t.pos_ids[r] * cols;
    for (int64_t f = 0; f < cols; ++f) {
      gw[f] += dz[f];
      gp[f] += dz[f];
    }
    if (t.type) {
      float* gt = dtype + t.type_ids[r] * cols;
      for (int64_t f = 0; f < cols; ++f) gt[f] += dz[f];
    }
  }
}

}  // namespace triage::kernels::ref
