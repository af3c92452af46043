// Typed configuration shared by the binaries: every field of a config struct is registered
// once with its dotted key ("optim.lr"), a one-line help text and its default (the struct's
// initial value). YAML files layer (later over earlier), then --set key=value overrides;
// unknown keys are an error naming the key, the file and the nearest valid key; the
// resolved config dumps back to YAML. Torch-free.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace triage::config {

class Schema {
 public:
  void add(const std::string& key, std::string* field, const std::string& help);
  void add(const std::string& key, bool* field, const std::string& help);
  void add(const std::string& key, int64_t* field, const std::string& help);
  void add(const std::string& key, double* field, const std::string& help);
  void add(const std::string& key, std::vector<std::string>* field, const std::string& help);
  // Restricts a string field to a set of values (checked on every assignment).
  void choices(const std::string& key, std::vector<std::string> allowed);

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
  };
  void assign(const std::string& key, const std::string& yaml_value, const std::string& where);
  std::map<std::string, Field> fields_;
  std::vector<std::string> order_;
};

size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace triage::config
