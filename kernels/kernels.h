// The fused ops of triage (issue 6), one folder each: a contract header, a plain C++
// reference that is also the CPU path, the CUDA kernel and the autograd wrapper. Include this
// for all of them; docs/kernels.md lists the contracts and tolerances.
#pragma once

#include "kernels/adamw/adamw.h"
#include "kernels/attention/attention_softmax.h"
#include "kernels/bias_gelu/bias_gelu.h"
#include "kernels/cross_entropy/cross_entropy.h"
#include "kernels/embeddings/embeddings.h"
#include "kernels/kernel_mode.h"
#include "kernels/residual_layer_norm/residual_layer_norm.h"
