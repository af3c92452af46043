// Reading the stages of a tokenizer.json (normalizer, pre_tokenizer, model, post_processor,
// added_tokens): every error names the file and the JSON path of the stage
// ("DIR/tokenizer.json: pre_tokenizer.pretokenizers[1]"), what was expected and what was
// found, and an option the stage does not know is an error, never ignored.
#pragma once

#include <initializer_list>
#include <string>

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
// InputError "<where>: type 'X' is not supported (supported: ...)".
[[noreturn]] void unsupported_type(const std::string& type, const std::string& where,
                                   const char* supported);

}  // namespace triage::data::json_stage
