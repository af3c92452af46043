// Reading the stages of a tokenizer.json (normalizer, pre_tokenizer, model, post_processor,
// added_tokens): every error names the file and the JSON path of the stage
// ("DIR/tokenizer.json: pre_tokenizer.pretokenizers[1]"), what was expected and what was
// found, and an option the stage does not know is an error, never ignored.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace triage::data::json_stage {

// The stage's "type" (an object with a string "type"), else InputError.
std::string type_of(const nlohmann::json& j, const std::string& where);
// InputError for any key of j not in `allowed` ("type" is always allowed), naming the
// supported ones.
void check_keys(const nlohmann::json& j, const std::string& where,
                std::initializer_list<const char*> allowed);
// j[key] as the type asked for; `fallback` when absent or null; InputError when the type
// is wrong.
bool get_bool(const nlohmann::json& j, const char* key, bool fallback, const std::string& where);
std::string get_string(const nlohmann::json& j, const char* key, const std::string& fallback,
                       const std::string& where);
// j[key], InputError when absent.
const nlohmann::json& require(const nlohmann::json& j, const char* key, const std::string& where);
// A model's "vocab" object (token -> id) as the token of each id; InputError naming `where`
// (its JSON path) for an id that is not a non-negative integer, an id given twice, or ids
// that are not 0..n-1.
using VocabById = std::vector<std::string>;
VocabById vocab_by_id(const nlohmann::json& vocab, const std::string& where);
// InputError "<where>: expected an array".
[[noreturn]] void array_expected(const std::string& where);
// InputError "<where>: type 'X' is not supported (supported: ...)".
[[noreturn]] void unsupported_type(const std::string& type, const std::string& where,
                                   const char* supported);

// The stages of a Sequence: j[key] must be an array; parse(element, its JSON path) makes
// each stage (nullptr for a null element, which is skipped).
template <typename T, typename Parse>
std::vector<std::unique_ptr<T>> parse_list(const nlohmann::json& j, const char* key, const std::string& where,
                                           Parse parse) {
  check_keys(j, where, {key});
  const nlohmann::json& list = require(j, key, where);
  if (!list.is_array()) array_expected(where + "." + key);
  std::vector<std::unique_ptr<T>> out;
  for (size_t i = 0; i < list.size(); ++i)
    if (auto stage = parse(list[i], where + "." + key + "[" + std::to_string(i) + "]")) out.push_back(std::move(stage));
  return out;
}

}  // namespace triage::data::json_stage
