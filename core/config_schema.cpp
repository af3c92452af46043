// YAML-backed typed configuration with layering, overrides and nearest-key errors.
#include "core/config_schema.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "core/error.h"
#include "core/nearest.h"

namespace triage::config {
namespace {

std::string where_of(const std::string& source, const YAML::Node& node) {
  const auto mark = node.Mark();
  if (mark.line >= 0) return source + ":" + std::to_string(mark.line + 1);
  return source;
}

template <typename T>
T parse_scalar(const std::string& yaml_value, const std::string& key, const std::string& where,
               const char* expected) {
  YAML::Node n;
  try {
    n = YAML::Load(yaml_value);
  } catch (const YAML::Exception& e) {
    throw InputError(where + ": key '" + key + "': cannot parse '" + yaml_value + "': " + e.msg);
  }
  try {
    if (!n.IsScalar()) throw YAML::Exception(YAML::Mark::null_mark(), "not a scalar");
    return n.as<T>();
  } catch (const YAML::Exception&) {
    throw InputError(where + ": key '" + key + "': expected " + expected + ", found '" + yaml_value + "'");
  }
}

void flatten(const YAML::Node& node, const std::string& prefix, const std::string& source,
             std::vector<std::tuple<std::string, std::string, std::string>>& out) {
  for (const auto& kv : node) {
    const auto key = kv.first.as<std::string>();
    const auto full = prefix.empty() ? key : prefix + "." + key;
    const auto& value = kv.second;
    if (value.IsMap()) {
      flatten(value, full, source, out);
    } else {
      YAML::Emitter em;
      em.SetSeqFormat(YAML::Flow);
      em << value;
      out.emplace_back(full, value.IsNull() ? std::string("~") : std::string(em.c_str()), where_of(source, kv.first));
    }
  }
}

std::string quote(const std::string& s) {
  YAML::Emitter em;
  em << YAML::DoubleQuoted << s;
  return em.c_str();
}

}  // namespace

Schema::Key Schema::add(const std::string& key, std::string* f, const std::string& help) {
  Field fd{help,
                  [this, key, f](const std::string& v, const std::string& w) {
                    *f = choice(v, key, w, fields_.at(key).allowed);
                  },
                  [f] { return quote(*f); },
                  {}};
  return add_field(key, std::move(fd));
}

Schema::Key Schema::add(const std::string& key, bool* f, const std::string& help) {
  Field fd{help, [key, f](const std::string& v, const std::string& w) { *f = parse_scalar<bool>(v, key, w, "true or false"); },
                  [f] { return std::string(*f ? "true" : "false"); }, {}};
  return add_field(key, std::move(fd));
}

Schema::Key Schema::add(const std::string& key, int64_t* f, const std::string& help) {
  Field fd{help, [key, f](const std::string& v, const std::string& w) { *f = parse_scalar<int64_t>(v, key, w, "an integer"); },
                  [f] { return std::to_string(*f); }, {}};
  fd.number = [f] { return static_cast<double>(*f); };
  fd.integer = true;
  return add_field(key, std::move(fd));
}

Schema::Key Schema::add(const std::string& key, double* f, const std::string& help) {
  Field fd{help, [key, f](const std::string& v, const std::string& w) { *f = parse_scalar<double>(v, key, w, "a number"); },
                  [f] {
                    std::ostringstream o;
                    o.precision(17);
                    o << *f;
                    auto s = o.str();
                    if (s.find_first_of(".eE") == std::string::npos && s.find("inf") == std::string::npos &&
                        s.find("nan") == std::string::npos)
                      s += ".0";
                    return s;
                  },
                  {}};
  fd.number = [f] { return *f; };
  return add_field(key, std::move(fd));
}

Schema::Key Schema::add(const std::string& key, std::vector<std::string>* f, const std::string& help) {
  Field fd{help,
                  [key, f](const std::string& v, const std::string& w) {
                    YAML::Node n;
                    try {
                      n = YAML::Load(v);
                    } catch (const YAML::Exception& e) {
                      throw InputError(w + ": key '" + key + "': cannot parse '" + v + "': " + e.msg);
                    }
                    std::vector<std::string> out;
                    if (n.IsNull()) {
                    } else if (n.IsSequence()) {
                      for (const auto& x : n) {
                        if (!x.IsScalar()) throw InputError(w + ": key '" + key + "': expected a list of strings, found '" + v + "'");
                        out.push_back(x.as<std::string>());
                      }
                    } else if (n.IsScalar()) {
                      // comma-separated shorthand for --set and environment variables
                      std::stringstream ss(n.as<std::string>());
                      for (std::string item; std::getline(ss, item, ',');)
                        if (!item.empty()) out.push_back(item);
                    } else {
                      throw InputError(w + ": key '" + key + "': expected a list of strings, found '" + v + "'");
                    }
                    *f = out;
                  },
                  [f] {
                    std::string s = "[";
                    for (size_t i = 0; i < f->size(); ++i) s += (i ? ", " : "") + quote((*f)[i]);
                    return s + "]";
                  },
                  {}};
  return add_field(key, std::move(fd));
}

std::string Schema::choice(const std::string& v, const std::string& key, const std::string& where,
                           const std::vector<std::string>& allowed) {
  // "key=" and YAML null (~) clear a string
  auto s = (v.empty() || v == "~" || v == "null") ? std::string() : parse_scalar<std::string>(v, key, where, "a string");
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    throw InputError(where + ": key '" + key + "': expected one of " + list + ", found '" + s + "'");
  }
  return s;
}

Schema::Key Schema::add_field(const std::string& key, Field field) {
  if (fields_.count(key)) throw Error("config key '" + key + "' registered twice");
  fields_[key] = std::move(field);
  order_.push_back(key);
  return Key(this, key);
}

Schema::Key& Schema::Key::range(double lo, double hi) {
  auto& f = schema_->fields_.at(key_);
  if (!f.number) throw Error("config key '" + key_ + "': range() on a field that is not a number");
  f.range = {lo, hi};
  return *this;
}

Schema::Key& Schema::Key::positive() {
  auto& f = schema_->fields_.at(key_);
  if (!f.number) throw Error("config key '" + key_ + "': positive() on a field that is not a number");
  f.positive = true;
  return *this;
}

Schema::Key& Schema::Key::choices(std::vector<std::string> allowed) {
  schema_->fields_.at(key_).allowed = std::move(allowed);
  return *this;
}

void Schema::check() const {
  const auto shown = [](const Field& f, double v) {
    if (f.integer) return std::to_string(static_cast<int64_t>(v));
    std::ostringstream o;
    o << v;
    return o.str();
  };
  for (const auto& key : order_) {
    const auto& f = fields_.at(key);
    if (!f.number) continue;
    const double v = f.number();
    const char* kind = f.integer ? "an integer" : "a number";
    if (f.range && (v < f.range->first || v > f.range->second))
      throw InputError(key + ": expected " + kind + " in [" + shown(f, f.range->first) + ", " + shown(f, f.range->second) +
                       "], found " + shown(f, v));
    if (f.positive && !(v > 0)) throw InputError(key + ": expected " + kind + " > 0, found " + shown(f, v));
  }
}

void Schema::load(const Layers& layers, const std::function<void()>& flags) {
  for (const auto& file : layers.files) load_yaml_file(file);
  if (!layers.env_prefix.empty()) load_env(layers.env_prefix);
  if (flags) flags();
  for (const auto& s : layers.sets) set(s);
  check();
}

std::string Schema::nearest_key(const std::string& key) const { return nearest_name(key, order_, true).name; }

void Schema::assign(const std::string& key, const std::string& value, const std::string& where) {
  auto it = fields_.find(key);
  if (it == fields_.end())
    throw InputError(where + ": unknown key '" + key + "' (did you mean '" + nearest_key(key) + "'?)");
  it->second.assign(value, where);
}

void Schema::load_yaml_string(const std::string& yaml, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::ParserException& e) {
    throw InputError(source + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  }
  if (root.IsNull()) return;
  if (!root.IsMap()) throw InputError(source + ": expected a mapping of config sections at the top level");
  std::vector<std::tuple<std::string, std::string, std::string>> items;
  flatten(root, "", source, items);
  for (const auto& [key, value, where] : items) assign(key, value, where);
}

void Schema::load_yaml_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot open config file");
  std::stringstream ss;
  ss << in.rdbuf();
  load_yaml_string(ss.str(), path);
}

void Schema::set(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InputError("--set '" + assignment + "': expected section.key=value");
  assign(assignment.substr(0, eq), assignment.substr(eq + 1), "--set " + assignment.substr(0, eq));
}

void Schema::load_env(const std::string& prefix) {
  for (const auto& key : order_) {
    std::string var = prefix + "_";
    for (char c : key) var += (c == '.') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (const char* v = std::getenv(var.c_str())) assign(key, v, "environment " + var);
  }
}

std::string Schema::dump_yaml() const {
  std::ostringstream o;
  std::string section;
  for (const auto& key : order_) {
    const auto dot = key.rfind('.');
    const auto sec = dot == std::string::npos ? "" : key.substr(0, dot);
    const auto leaf = dot == std::string::npos ? key : key.substr(dot + 1);
    if (sec != section) {
      // sections are one level deep in triage's configs
      o << sec << ":\n";
      section = sec;
    }
    const auto& f = fields_.at(key);
    o << (sec.empty() ? "" : "  ") << leaf << ": " << f.render() << "  # " << f.help << "\n";
  }
  return o.str();
}

std::vector<std::string> Schema::keys() const { return order_; }

}  // namespace triage::config
