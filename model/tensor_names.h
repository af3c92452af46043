// Tensor names: TokenClassifier registers every family's modules under BERT's names with the
// family's prefix; a checkpoint holds the names the family's transformers class uses. The
// one family whose layers are named differently is DistilBERT ("transformer.layer.N.attention.
// q_lin", "sa_layer_norm", "ffn.lin1", ...); the others save the module names as they are.
#pragma once

#include <string>

#include "model/config.h"

namespace triage::model {

// The checkpoint name of the parameter `name` (as named_parameters() gives it).
std::string checkpoint_tensor_name(Family family, const std::string& name);

}  // namespace triage::model
