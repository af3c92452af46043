// Typed configuration shared by the binaries: every field of a config struct is registered
// once, on one line, with its dotted key ("optim.lr"), a one-line help text, its default
// (the struct's initial value) and what it accepts (a range, a set of choices, or the names
// of an enum the field holds). One loader layers YAML files (later over earlier), then the
// environment (PREFIX_SECTION_KEY), then a binary's convenience flags, then --set
// key=value, then checks every range. Unknown keys are an error naming the key, the file
// and the nearest valid key; the resolved config dumps back to YAML (docs/*.md's key
// tables are generated from that dump). Torch-free.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace triage::config {

class Schema {
 public:
  // What add() returns: declares, on the registration line, what the key accepts.
  class Key {
   public:
    Key(Schema* schema, std::string key) : schema_(schema), key_(std::move(key)) {}
    // Numbers only: the value must lie in [lo, hi] (checked by check(), after every layer).
    Key& range(double lo, double hi);
    // Numbers only: the value must be > 0.
    Key& positive();
    // Strings only: one of these values (checked on every assignment).
    Key& choices(std::vector<std::string> allowed);

   private:
    Schema* schema_;
    std::string key_;
  };

  Key add(const std::string& key, std::string* field, const std::string& help);
  Key add(const std::string& key, bool* field, const std::string& help);
  Key add(const std::string& key, int64_t* field, const std::string& help);
  Key add(const std::string& key, double* field, const std::string& help);
  Key add(const std::string& key, std::vector<std::string>* field, const std::string& help);
  // An enum field written and read by the names given (its first-class values).
  template <typename E>
  Key add_enum(const std::string& key, E* field, std::vector<std::pair<std::string, E>> names, const std::string& help);
  // The one loader: files, then the environment PREFIX_SECTION_KEY (none when prefix is ""),
  // then flags() (a binary's convenience options writing into its struct), then every
  // "key=value" of sets, then check().
  struct Layers {
    std::vector<std::string> files;
    std::string env_prefix;
    std::vector<std::string> sets;
  };
  void load(const Layers& layers, const std::function<void()>& flags = {});
  // Every declared range on the current values; InputError "KEY: expected ..., found V".
  void check() const;

  // Applies a YAML file: nested maps become dotted keys. Errors name file:line and key.
  void load_yaml_file(const std::string& path);
  void load_yaml_string(const std::string& yaml, const std::string& source);
  // "section.key=value"; value is parsed as YAML (so lists work: a=[x, y]).
  void set(const std::string& assignment);
  // Environment variables PREFIX_SECTION_KEY (e.g. TRIAGE_SERVE_PORT) override fields.
  void load_env(const std::string& prefix);

  std::string dump_yaml() const;  // the resolved config, with help as comments
  std::vector<std::string> keys() const;
  std::string nearest_key(const std::string& key) const;

 private:
  struct Field {
    std::string help;
    std::function<void(const std::string& yaml_value, const std::string& where)> assign;
    std::function<std::string()> render;
    std::vector<std::string> allowed;
    std::function<double()> number;  // numeric fields: the current value
    bool integer = false;
    std::optional<std::pair<double, double>> range;
    bool positive = false;
  };
  Key add_field(const std::string& key, Field field);
  // v (YAML) as a string that must be one of allowed; InputError naming key and where.
  static std::string choice(const std::string& v, const std::string& key, const std::string& where,
                            const std::vector<std::string>& allowed);
  void assign(const std::string& key, const std::string& yaml_value, const std::string& where);
  std::map<std::string, Field> fields_;
  std::vector<std::string> order_;
};

template <typename E>
Schema::Key Schema::add_enum(const std::string& key, E* field, std::vector<std::pair<std::string, E>> names,
                             const std::string& help) {
  std::vector<std::string> allowed;
  for (const auto& [name, value] : names) allowed.push_back(name);
  Field f;
  f.help = help;
  f.assign = [key, field, names, allowed](const std::string& v, const std::string& where) {
    const std::string s = choice(v, key, where, allowed);
    for (const auto& [name, value] : names)
      if (name == s) *field = value;
  };
  f.render = [field, names] {
    for (const auto& [name, value] : names)
      if (value == *field) return "\"" + name + "\"";
    return std::string("~");
  };
  return add_field(key, std::move(f));
}

}  // namespace triage::config
