// Element types the CUDA kernels take (activations and parameters share one type per call;
// statistics, optimizer state and master weights are always fp32), and the launch facts the
// autograd wrappers need to size workspaces. Torch- and CUDA-free.
#pragma once

namespace triage::kernels {

enum class DType { F32, BF16 };

// Row groups of the backward kernels that accumulate per-column partial sums (gamma, beta,
// bias gradients): one block per group, partials [row_groups, cols] fp32 in a workspace the
// wrapper allocates, then reduced in a fixed order (deterministic).
inline int row_groups(long long rows) {
  constexpr long long kMax = 512;
  return static_cast<int>(rows < 1 ? 1 : (rows < kMax ? rows : kMax));
}

// Largest row (hidden size) the CUDA LayerNorm kernels take: 3 fp32 rows of shared memory.
constexpr long long kMaxLayerNormCols = 4096;
// Longest key length of the CUDA attention softmax (one warp per row, 16 values per lane).
constexpr long long kMaxAttentionKeys = 512;

}  // namespace triage::kernels
