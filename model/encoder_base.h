// The one encoder interface. Every family's backbone (BERT's layers in encoder.h, DeBERTa-v2
// in deberta.h, ModernBERT in modernbert.h) turns token ids into hidden states; the token
// classifier, predictor, trainer, eval and serve see only this, never the family.
#pragma once

#include <string>

#include <c10/core/ScalarType.h>

#include <torch/nn/module.h>

#include "kernels/kernel_mode.h"
#include "model/unpadded.h"

namespace triage::model {

struct EncoderBase : torch::nn::Module {
  // input_ids [batch, seq] int64; attention_mask [batch, seq] (1 = token, 0 = padding) or
  // undefined when nothing is padded; token_type_ids [batch, seq] or undefined (zeros).
  // Returns the last hidden states [batch, seq, hidden].
  virtual torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                                const torch::Tensor& token_type_ids) = 0;
  // The same on a batch without padding (model/unpadded.h): hidden states [tokens, hidden].
  // Families that compute on real tokens only override it; this default pads the batch, runs
  // forward() and drops the padding (same results, padded cost).
  virtual torch::Tensor forward_unpadded(const Unpadded& u);
  // model.kernels (TokenClassifier::set_kernels); families without fused kernels ignore it.
  kernels::KernelMode kernel_mode = kernels::KernelMode::Auto;
  // Prepacked CPU inference (model/packed_cpu.h), taken by forward() in eval mode without
  // gradients on CPU inputs while the packed parameters are unchanged. False with the reason
  // in *why where this family, libtorch, CPU or dtype can't.
  virtual bool pack_for_cpu(std::string* why, c10::ScalarType dtype) = 0;
  virtual void drop_cpu_packing() = 0;
  virtual bool cpu_packed() const = 0;
};

// transformers' ACT2FN by name (config.h kActivations): gelu (erf), gelu_new and
// gelu_pytorch_tanh (tanh approximation), relu, silu, tanh.
torch::Tensor activation(const torch::Tensor& x, const std::string& name);

// The value masked attention scores take: the dtype's lowest, as transformers'
// torch.finfo(dtype).min (finite, so a row with every key masked stays finite and padding
// never turns into NaN).
double lowest_score(c10::ScalarType dtype);

}  // namespace triage::model
