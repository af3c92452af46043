// Tensor names of the families' checkpoints (see tensor_names.h).
#include "model/tensor_names.h"

#include <array>
#include <utility>

namespace triage::model {

std::string checkpoint_tensor_name(Family family, const std::string& name) {
  if (family != Family::DistilBert) return name;
  // transformers' DistilBertModel: TransformerBlock = attention (q/k/v/out_lin) +
  // sa_layer_norm + ffn (lin1, lin2) + output_layer_norm, post-LayerNorm as BertLayer
  static constexpr std::array<std::pair<const char*, const char*>, 9> kRenames{{
      {"distilbert.encoder.layer.", "distilbert.transformer.layer."},
      {".attention.self.query.", ".attention.q_lin."},
      {".attention.self.key.", ".attention.k_lin."},
      {".attention.self.value.", ".attention.v_lin."},
      {".attention.output.dense.", ".attention.out_lin."},
      {".attention.output.LayerNorm.", ".sa_layer_norm."},
      {".intermediate.dense.", ".ffn.lin1."},
      {".output.dense.", ".ffn.lin2."},
      {".output.LayerNorm.", ".output_layer_norm."},
  }};
  std::string out = name;
  for (const auto& [from, to] : kRenames) {
    const size_t at = out.find(from);
    if (at == std::string::npos) continue;
    out.replace(at, std::char_traits<char>::length(from), to);
  }
  return out;
}

}  // namespace triage::model
