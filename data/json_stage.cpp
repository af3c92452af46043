// tokenizer.json stage reading helpers (see json_stage.h).
#include "data/json_stage.h"

#include <map>

#include "core/error.h"

namespace triage::data::json_stage {

using nlohmann::json;

std::string type_of(const json& j, const std::string& where) {
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
    throw InputError(where + ": expected an object with a string \"type\", found " +
                     j.dump().substr(0, 120));
  return j["type"].get<std::string>();
}

void check_keys(const json& j, const std::string& where, std::initializer_list<const char*> allowed) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "type") continue;
    bool known = false;
    for (const char* a : allowed) known = known || it.key() == a;
    if (known) continue;
    std::string list;
    for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    throw InputError(where + ": option '" + it.key() + "' is not supported by " +
                     j.value("type", std::string("this stage")) +
                     (list.empty() ? " (it takes no options)" : " (supported: " + list + ")"));
  }
}

bool get_bool(const json& j, const char* key, bool fallback, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_boolean())
    throw InputError(where + "." + key + ": expected true or false, found " + it->dump());
  return it->get<bool>();
}

std::string get_string(const json& j, const char* key, const std::string& fallback, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_string())
    throw InputError(where + "." + key + ": expected a string, found " + it->dump().substr(0, 80));
  return it->get<std::string>();
}

const json& require(const json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) throw InputError(where + ": missing '" + key + "'");
  return *it;
}

VocabById vocab_by_id(const json& vocab, const std::string& where) {
  if (!vocab.is_object()) throw InputError(where + ": expected an object of token -> id");
  std::map<int64_t, std::string> by_id;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0)
      throw InputError(where + "['" + it.key() + "']: expected a non-negative id, found " + it.value().dump());
    const auto [pos, fresh] = by_id.emplace(it.value().get<int64_t>(), it.key());
    if (!fresh)
      throw InputError(where + ": id " + std::to_string(pos->first) + " is given to both '" + pos->second +
                       "' and '" + it.key() + "'");
  }
  VocabById out;
  out.reserve(by_id.size());
  for (auto& [id, tok] : by_id) {
    if (id != static_cast<int64_t>(out.size()))
      throw InputError(where + ": no token has id " + std::to_string(out.size()) + " (ids must be 0..n-1)");
    out.push_back(std::move(tok));
  }
  return out;
}

void array_expected(const std::string& where) { throw InputError(where + ": expected an array"); }

void unsupported_type(const std::string& type, const std::string& where, const char* supported) {
  throw InputError(where + ": type '" + type + "' is not supported (supported: " + supported + ")");
}

}  // namespace triage::data::json_stage
