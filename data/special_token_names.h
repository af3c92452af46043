// The names of a Hugging Face tokenizer's special tokens as its directory states them:
// special_tokens_map.json, then tokenizer_config.json (which wins); each value a string or
// an AddedToken object {"content": ...}. Torch-free.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace triage::data {

struct SpecialTokenNames {
  std::optional<std::string> unk, cls, sep, pad, mask, bos, eos;
  std::optional<int64_t> model_max_length;
  std::optional<std::string> tokenizer_class;
  std::optional<bool> add_prefix_space;  // RoBERTa / GPT-2 tokenizers
};

// Reads the files that exist in dir (neither: all unset). InputError when one is not a
// JSON object.
SpecialTokenNames read_special_token_names(const std::filesystem::path& dir);

}  // namespace triage::data
