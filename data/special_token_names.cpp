// Special-token names from tokenizer_config.json / special_tokens_map.json.
#include "data/special_token_names.h"

#include "core/error.h"
#include "core/file_io.h"

namespace triage::data {

namespace {

void token_name(const nlohmann::json& j, const char* key, std::optional<std::string>& out) {
  auto it = j.find(key);
  if (it == j.end()) return;
  if (it->is_string()) out = it->get<std::string>();
  else if (it->is_object() && it->contains("content") && (*it)["content"].is_string())
    out = (*it)["content"].get<std::string>();
}

}  // namespace

SpecialTokenNames read_special_token_names(const std::filesystem::path& dir) {
  SpecialTokenNames n;
  for (const char* name : {"special_tokens_map.json", "tokenizer_config.json"}) {
    const std::filesystem::path file = dir / name;
    if (!std::filesystem::exists(file)) continue;
    const nlohmann::json j = read_json_file(file);
    if (!j.is_object()) throw InputError(file.string() + ": expected a JSON object");
    token_name(j, "unk_token", n.unk);
    token_name(j, "cls_token", n.cls);
    token_name(j, "sep_token", n.sep);
    token_name(j, "pad_token", n.pad);
    token_name(j, "mask_token", n.mask);
    token_name(j, "bos_token", n.bos);
    token_name(j, "eos_token", n.eos);
    if (auto it = j.find("model_max_length"); it != j.end() && it->is_number_integer())
      n.model_max_length = it->get<int64_t>();
    if (auto it = j.find("tokenizer_class"); it != j.end() && it->is_string())
      n.tokenizer_class = it->get<std::string>();
    if (auto it = j.find("add_prefix_space"); it != j.end() && it->is_boolean())
      n.add_prefix_space = it->get<bool>();
  }
  return n;
}

}  // namespace triage::data
