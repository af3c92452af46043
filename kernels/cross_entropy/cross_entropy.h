// Token-classification softmax cross-entropy with ignore_index: the mean loss and the logits
// gradient in one pass over the logits (the gradient is produced in forward and scaled by
// the incoming gradient in backward).
//
// Contract
//   logits   [..., C]  Float or BFloat16; any strides
//   targets  [...]     integer class ids (converted to int64), same leading shape as logits;
//                      ignore_index marks positions without a label (padding, sub-words)
//   loss     0-dim Float = sum over counted rows of (logsumexp(logits) - logits[target]) / count,
//            count = number of rows whose target != ignore_index. As torch's cross_entropy with
//            reduction "mean", except that count == 0 gives loss 0 and a zero gradient where
//            torch gives NaN (a batch with no labels must not poison training).
// Targets outside [0, C) other than ignore_index: an error on the CPU; the CUDA kernel cannot
// raise, so it makes that row's loss and gradient NaN. Math in fp32. Saved for backward: the
// gradient (softmax - onehot) / count in logits' dtype; backward returns it times dloss.
// Tests: KernelParity.CrossEntropy and KernelParity.CrossEntropyAllIgnored in
// tests/kernels/kernel_parity.h, one body run as the C++ reference against torch
// (kernels_test) and as CUDA against the reference (kernels_gpu_test, ctest label gpu).
#pragma once

#include <ATen/core/Tensor.h>

namespace triage::kernels {

at::Tensor token_cross_entropy(const at::Tensor& logits, const at::Tensor& targets, int64_t ignore_index = -100);

}  // namespace triage::kernels
