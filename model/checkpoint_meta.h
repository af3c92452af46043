// triage.json, typed: what a checkpoint directory records beside the Hugging Face files.
// The window setting it was trained with (every inference path windows with it, see
// inference_options.h), the label schema, where it came from (base model, data, resolved
// config) and, for the trainer's checkpoints, which one it is (best/last, step, best metric).
// Keys triage does not know are kept in `extra` and written back unchanged.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace triage::model {

struct CheckpointMeta {
  // The window setting; unset in a checkpoint triage did not train (inference_options.h
  // then takes its defaults).
  std::optional<int64_t> max_seq_len;  // sub-words per window, special tokens included
  std::optional<int64_t> stride;       // sub-words shared by consecutive windows
  // decode.mode the trainer evaluated with ("greedy" | "constrained" | "crf"; data/decode.h);
  // unset: crf with a CRF head, else greedy. Inference paths decode with it unless told otherwise (inference_options.h).
  std::optional<std::string> decode_mode;
  nlohmann::json label_schema;              // data::LabelSchema::to_json(); null when absent
  std::string base_model;                   // the checkpoint fine-tuning started from
  struct Data {
    std::string train, dev, test;  // paths as configured
    int64_t train_examples = 0;
  };
  std::optional<Data> data;     // a trainer's checkpoint
  std::string config_yaml;      // the resolved training config ("" outside training)
  std::string checkpoint;       // "best", "last" or "" (not a trainer's checkpoint)
  int64_t step = -1, epoch = -1;
  struct Best {
    std::string metric;
    double value = 0;
    int64_t step = 0;
  };
  std::optional<Best> best;
  // Temperature scaling fitted on held-out data (eval/calibration.h: the trainer on its dev
  // split, triage-eval --calibrate): intent and token scores are reported as
  // softmax(logits / T). report: where it was fitted and the metrics before and after.
  struct Calibration {
    double intent_temperature = 1.0, token_temperature = 1.0;
    nlohmann::json report = nlohmann::json::object();
  };
  std::optional<Calibration> calibration;
  // Written by save_checkpoint from the model's config (readers take the model's).
  std::vector<std::string> labels, intent_labels;
  std::string head;  // "softmax" or "crf" (config.json's triage_head, the source of truth)
  nlohmann::json extra = nlohmann::json::object();  // unknown keys, kept as they were
  std::string source;  // the file this was read from ("" when built in memory), for errors

  nlohmann::json to_json() const;
  // Throws InputError naming source and the key, what was expected and what was found.
  static CheckpointMeta from_json(const nlohmann::json& j, const std::string& source);
  // dir/triage.json, or the defaults when the directory has none.
  static CheckpointMeta read(const std::filesystem::path& dir);
  // "DIR/triage.json" for messages about a value read from it ("triage.json" in memory).
  std::string where() const { return source.empty() ? std::string("triage.json") : source; }
};

}  // namespace triage::model
