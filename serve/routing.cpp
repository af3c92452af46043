// Routing rules: YAML loading with file:line errors, label validation, the route decision
// and the amount parser behind `greater_than`.
#include "serve/routing.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "core/content_version.h"
#include "core/error.h"
#include "core/nearest.h"
#include "data/regex.h"

namespace triage::serve {
namespace {

const std::vector<std::string> kTopKeys = {"default_queue", "fallback_queue", "min_intent_confidence", "intents",
                                           "overrides", "validators", "min_intent_margin"};
const std::vector<std::string> kOverrideKeys = {"name",          "entity",           "intent", "greater_than",
                                                "require_valid", "min_entity_score", "queue"};
const std::vector<std::string> kValidatorKeys = {"regex", "checksum", "amount", "currency"};


std::string nearest(const std::string& key, const std::vector<std::string>& valid) { return nearest_name(key, valid).name; }

std::string at(const std::string& source, const YAML::Node& n) {
  const auto m = n.Mark();
  if (m.line < 0) return source;
  return source + ":" + std::to_string(m.line + 1);
}

// file:line of `key` in `map` (a null value has no useful position of its own).
std::string key_at(const std::string& source, const YAML::Node& map, const std::string& key) {
  for (const auto& kv : map)
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return at(source, kv.first);
  return at(source, map);
}

// What a node holds, for "found ..." in messages.
std::string describe(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return "nothing (null)";
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a mapping";
  return "'" + n.Scalar() + "'";
}

bool scalar_bool(const YAML::Node& n, const std::string& where) {
  if (n.IsScalar()) {
    const auto& v = n.Scalar();
    if (v == "true") return true;
    if (v == "false") return false;
  }
  throw InputError(where + ": expected true or false, found " + describe(n));
}

std::string scalar_string(const YAML::Node& n, const std::string& where, const std::string& what) {
  if (!n.IsDefined() || !n.IsScalar() || n.Scalar().empty())
    throw InputError(where + ": expected " + what + " (a non-empty string), found " + describe(n));
  return n.Scalar();
}

double scalar_number(const YAML::Node& n, const std::string& where, const std::string& what) {
  if (!n.IsDefined() || !n.IsScalar()) throw InputError(where + ": expected " + what + ", found " + describe(n));
  double v = 0.0;
  try {
    v = n.as<double>();
  } catch (const YAML::Exception&) {
    throw InputError(where + ": expected " + what + ", found " + describe(n));
  }
  if (!std::isfinite(v)) throw InputError(where + ": expected " + what + " (finite), found " + describe(n));
  return v;
}

void check_keys(const YAML::Node& map, const std::vector<std::string>& valid, const std::string& source,
                const std::string& context) {
  std::set<std::string> seen;
  for (const auto& kv : map) {
    const auto key = kv.first.IsScalar() ? kv.first.Scalar() : std::string("?");
    if (std::find(valid.begin(), valid.end(), key) == valid.end())
      throw InputError(at(source, kv.first) + ": " + context + "unknown key '" + key + "' (did you mean '" +
                       nearest(key, valid) + "'?)");
    if (!seen.insert(key).second)
      throw InputError(at(source, kv.first) + ": " + context + "key '" + key + "' appears twice");
  }
}

// Shortest decimal text for a score/threshold in a reason string: 0.4231, 0.5, 1.
std::string compact(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// Entity types from a label list that may hold tagged labels (B-x, I-x, ...) or bare types.
std::vector<std::string> bare_types(const std::vector<std::string>& labels) {
  std::set<std::string> out;
  for (const auto& l : labels) {
    if (l == "O") continue;
    if (l.size() > 2 && l[1] == '-' && std::string("BIESLU").find(l[0]) != std::string::npos)
      out.insert(l.substr(2));
    else
      out.insert(l);
  }
  return {out.begin(), out.end()};
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<double> parse_amount(const std::string& text) {
  // The one run of digits and separators in the text; currency symbols, codes and words
  // around it are ignored. Separators inside it: '.', ',', ' ', '\'', U+00A0, U+202F.
  std::string run;  // digits, '.', ',', with grouping spaces/apostrophes removed
  bool negative = false, in_run = false, done = false;
  size_t i = 0, after_run = std::string::npos;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    size_t len = 1;
    bool sep_space = false;
    if (c == ' ' || c == '\'') {
      sep_space = true;
    } else if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xA0) {
      sep_space = true, len = 2;  // no-break space
    } else if (c == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
               static_cast<unsigned char>(text[i + 2]) == 0xAF) {
      sep_space = true, len = 3;  // narrow no-break space
    }
    if (is_digit(static_cast<char>(c))) {
      if (done) return std::nullopt;  // a second number: ambiguous
      if (!in_run) {
        // a minus sign anywhere before the number ("-$40", "$-40", "CHF -40")
        const auto prefix = text.substr(0, i);
        negative = prefix.find('-') != std::string::npos || prefix.find("\xE2\x88\x92") != std::string::npos;
      }
      in_run = true;
      run += static_cast<char>(c);
    } else if (in_run && (c == '.' || c == ',')) {
      run += static_cast<char>(c);
    } else if (in_run && sep_space) {
      // a grouping space only when a digit follows it ("1 200"); else the run ends
      const size_t k = i + len;
      if (k < text.size() && is_digit(text[k])) {
        run += ' ';
      } else {
        in_run = false, done = true, after_run = i;
      }
    } else if (in_run) {
      in_run = false, done = true, after_run = i;
    }
    i += len;
  }
  if (run.empty()) return std::nullopt;
  if (after_run == std::string::npos) after_run = text.size();
  // trailing separators belong to the sentence ("$40." / "40,")
  while (!run.empty() && (run.back() == '.' || run.back() == ',')) run.pop_back();
  // a k/K suffix right after the number: thousands ("$2k", "2.5K")
  double scale = 1.0;
  if (after_run < text.size() && (text[after_run] == 'k' || text[after_run] == 'K')) {
    const size_t n = after_run + 1;
    if (n == text.size() || !std::isalpha(static_cast<unsigned char>(text[n]))) scale = 1000.0;
  }

  // Decide which separator is the decimal point.
  const auto last_dot = run.rfind('.'), last_comma = run.rfind(',');
  const bool has_dot = last_dot != std::string::npos, has_comma = last_comma != std::string::npos;
  char decimal = 0;  // 0: no decimal part
  if (has_dot && has_comma) {
    decimal = last_dot > last_comma ? '.' : ',';
  } else if (has_dot || has_comma) {
    const char sep = has_dot ? '.' : ',';
    const auto first = run.find(sep), last = run.rfind(sep);
    if (first != last) {
      decimal = 0;  // repeated: grouping ("1,200,000" / "1.200.000")
    } else {
      // once: grouping when exactly three digits follow and 1-3 non-zero-led digits precede
      // ("1,200" = 1200, "€2.345" = 2345); else the decimal point ("12,50", "0.500", "1200.5")
      const auto before = run.substr(0, first), after = run.substr(first + 1);
      std::string before_digits;
      for (char ch : before)
        if (is_digit(ch)) before_digits += ch;
      const bool grouping = after.size() == 3 && before.find(' ') == std::string::npos && !before_digits.empty() &&
                            before_digits.size() <= 3 && before_digits[0] != '0';
      decimal = grouping ? 0 : sep;
    }
  }
  // Split into the integer and fraction parts and check the grouping of the integer part.
  std::string int_part = run, frac;
  if (decimal) {
    const auto p = run.rfind(decimal);
    int_part = run.substr(0, p);
    frac = run.substr(p + 1);
    if (frac.empty() || !std::all_of(frac.begin(), frac.end(), is_digit)) return std::nullopt;
  }
  std::vector<std::string> groups;
  {
    std::string g;
    char group_sep = 0;
    for (char ch : int_part) {
      if (is_digit(ch)) {
        g += ch;
        continue;
      }
      if (group_sep && ch != group_sep) return std::nullopt;  // mixed grouping separators
      group_sep = ch;
      groups.push_back(g);
      g.clear();
    }
    groups.push_back(g);
  }
  if (groups.empty() || groups[0].empty()) return std::nullopt;
  if (groups.size() > 1) {
    if (groups[0].size() > 3) return std::nullopt;
    for (size_t g = 1; g < groups.size(); ++g)
      if (groups[g].size() != 3) return std::nullopt;
  }
  std::string digits;
  for (const auto& g : groups) digits += g;
  const std::string normal = digits + (frac.empty() ? "" : "." + frac);
  double v = 0.0;
  try {
    v = std::stod(normal);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (!std::isfinite(v)) return std::nullopt;
  v *= scale;
  return negative ? -v : v;
}

RoutingRules RoutingRules::defaults() { return RoutingRules{}; }

RoutingRules RoutingRules::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open routing rules file");
  std::stringstream ss;
  ss << in.rdbuf();
  return load_string(ss.str(), path);
}

RoutingRules RoutingRules::load_string(const std::string& yaml, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::ParserException& e) {
    throw InputError(source + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  }
  if (!root.IsMap())
    throw InputError(source + ": expected a mapping with default_queue, intents, overrides, ...; found " +
                     describe(root));
  check_keys(root, kTopKeys, source, "");

  RoutingRules r;
  r.source_ = source;
  r.version_ = content_version(yaml);
  r.intent_is_queue_ = false;
  const auto dq = root["default_queue"];
  if (!dq.IsDefined())
    throw InputError(source + ": missing key 'default_queue' (the queue when no other rule applies)");
  r.default_queue_ = scalar_string(dq, key_at(source, root, "default_queue") + ": default_queue", "a queue name");

  if (const auto mc = root["min_intent_confidence"]; mc.IsDefined()) {
    r.min_intent_confidence_ =
        scalar_number(mc, key_at(source, root, "min_intent_confidence") + ": min_intent_confidence", "a number between 0 and 1");
    if (r.min_intent_confidence_ < 0.0 || r.min_intent_confidence_ > 1.0)
      throw InputError(key_at(source, root, "min_intent_confidence") + ": min_intent_confidence: expected a number between 0 and 1, found " +
                       describe(mc));
  }
  if (const auto mm = root["min_intent_margin"]; mm.IsDefined()) {
    const auto where = key_at(source, root, "min_intent_margin") + ": min_intent_margin";
    r.min_intent_margin_ = scalar_number(mm, where, "a number between 0 and 1");
    if (r.min_intent_margin_ < 0.0 || r.min_intent_margin_ > 1.0)
      throw InputError(where + ": expected a number between 0 and 1, found " + describe(mm));
  }
  const auto fq = root["fallback_queue"];
  if (fq.IsDefined()) {
    r.fallback_queue_ = scalar_string(fq, key_at(source, root, "fallback_queue") + ": fallback_queue", "a queue name");
  } else if (r.min_intent_confidence_ > 0.0 || r.min_intent_margin_ > 0.0) {
    throw InputError(source + ": missing key 'fallback_queue' (required when min_intent_confidence or min_intent_margin > 0)");
  }

  if (const auto in = root["intents"]; in.IsDefined() && !in.IsNull()) {
    if (!in.IsMap())
      throw InputError(key_at(source, root, "intents") + ": intents: expected a mapping intent label -> queue, found " + describe(in));
    std::set<std::string> seen;
    for (const auto& kv : in) {
      const auto where = at(source, kv.first);
      const auto label = scalar_string(kv.first, where + ": intents", "an intent label");
      if (!seen.insert(label).second) throw InputError(where + ": intents: intent '" + label + "' appears twice");
      const auto queue = scalar_string(kv.second, where + ": intents." + label, "a queue name");
      r.intent_queues_.emplace_back(label, queue);
    }
  }

  std::vector<std::pair<size_t, std::string>> require_valid_at;  // override index -> "file:line: rule: "
  if (const auto ov = root["overrides"]; ov.IsDefined() && !ov.IsNull()) {
    if (!ov.IsSequence()) throw InputError(key_at(source, root, "overrides") + ": overrides: expected a list of rules, found " + describe(ov));
    std::set<std::string> names;
    for (size_t i = 0; i < ov.size(); ++i) {
      const auto n = ov[i];
      const auto idx = "overrides[" + std::to_string(i) + "]";
      if (!n.IsMap())
        throw InputError(at(source, n) + ": " + idx + ": expected a rule (a mapping with name, queue, entity/intent), found " +
                         describe(n));
      Override o;
      // the name first, so that every later message can name the rule
      const auto nm = n["name"];
      if (!nm.IsDefined()) throw InputError(at(source, n) + ": " + idx + ": missing key 'name'");
      o.name = scalar_string(nm, key_at(source, n, "name") + ": " + idx + ": name", "a rule name");
      const auto rule = idx + " (" + o.name + "): ";
      check_keys(n, kOverrideKeys, source, rule);
      if (!names.insert(o.name).second)
        throw InputError(key_at(source, n, "name") + ": " + rule + "duplicate rule name '" + o.name + "'");
      const auto q = n["queue"];
      if (!q.IsDefined()) throw InputError(at(source, n) + ": " + rule + "missing key 'queue'");
      o.queue = scalar_string(q, key_at(source, n, "queue") + ": " + rule + "queue", "a queue name");
      if (const auto e = n["entity"]; e.IsDefined()) o.entity = scalar_string(e, key_at(source, n, "entity") + ": " + rule + "entity", "an entity label");
      if (const auto it = n["intent"]; it.IsDefined()) o.intent = scalar_string(it, key_at(source, n, "intent") + ": " + rule + "intent", "an intent label");
      if (o.entity.empty() && o.intent.empty())
        throw InputError(at(source, n) + ": " + rule + "expected 'entity' or 'intent' (or both), found neither");
      if (const auto gt = n["greater_than"]; gt.IsDefined()) {
        if (o.entity.empty())
          throw InputError(key_at(source, n, "greater_than") + ": " + rule + "greater_than needs 'entity' (the entity whose number is compared), found none");
        o.has_greater_than = true;
        o.greater_than = scalar_number(gt, key_at(source, n, "greater_than") + ": " + rule + "greater_than", "a number");
      }
      if (const auto rv = n["require_valid"]; rv.IsDefined()) {
        const auto where = key_at(source, n, "require_valid");
        o.require_valid = scalar_bool(rv, where + ": " + rule + "require_valid");
        if (o.require_valid && o.entity.empty())
          throw InputError(where + ": " + rule + "require_valid needs 'entity' (the entity that must be valid), found none");
        if (o.require_valid) require_valid_at.emplace_back(r.overrides_.size(), where + ": " + rule);
      }
      if (const auto ms = n["min_entity_score"]; ms.IsDefined()) {
        const auto where = key_at(source, n, "min_entity_score") + ": " + rule + "min_entity_score";
        if (o.entity.empty()) throw InputError(where + ": needs 'entity' (the entity whose score is compared), found none");
        o.min_entity_score = scalar_number(ms, where, "a number between 0 and 1");
        if (o.min_entity_score < 0.0 || o.min_entity_score > 1.0)
          throw InputError(where + ": expected a number between 0 and 1, found " + describe(ms));
        if (!fq.IsDefined())
          throw InputError(where + ": needs 'fallback_queue' (where a low-confidence match goes), found none");
      }
      r.overrides_.push_back(std::move(o));
    }
  }

  if (const auto va = root["validators"]; va.IsDefined() && !va.IsNull()) {
    const auto here = key_at(source, root, "validators");
    if (!va.IsMap())
      throw InputError(here + ": validators: expected a mapping entity label -> {regex, checksum, amount, currency}, found " +
                       describe(va));
    for (const auto& kv : va) {
      const auto where = at(source, kv.first);
      const auto label = scalar_string(kv.first, where + ": validators", "an entity label");
      const auto ctx = "validators." + label + ": ";
      if (!kv.second.IsMap())
        throw InputError(where + ": " + ctx + "expected a mapping with regex, checksum and/or amount, found " +
                         describe(kv.second));
      check_keys(kv.second, kValidatorKeys, source, ctx);
      EntityValidator v;
      if (const auto re = kv.second["regex"]; re.IsDefined()) {
        const auto w = key_at(source, kv.second, "regex") + ": " + ctx + "regex";
        v.pattern = scalar_string(re, w, "a regular expression");
        v.regex = std::make_shared<const data::Regex>("\\A(?:" + v.pattern + ")\\z", w);
      }
      if (const auto cs = kv.second["checksum"]; cs.IsDefined()) {
        const auto w = key_at(source, kv.second, "checksum") + ": " + ctx + "checksum";
        const auto name = scalar_string(cs, w, "luhn or iban");
        if (name == "luhn") v.checksum = EntityValidator::Checksum::luhn;
        else if (name == "iban") v.checksum = EntityValidator::Checksum::iban;
        else throw InputError(w + ": expected luhn or iban, found '" + name + "'");
      }
      if (const auto am = kv.second["amount"]; am.IsDefined())
        v.amount = scalar_bool(am, key_at(source, kv.second, "amount") + ": " + ctx + "amount");
      if (const auto cu = kv.second["currency"]; cu.IsDefined()) {
        const auto w = key_at(source, kv.second, "currency") + ": " + ctx + "currency";
        v.currency = scalar_bool(cu, w);
        if (v.currency && !v.amount) throw InputError(w + ": currency needs amount: true");
      }
      if (!v.regex && v.checksum == EntityValidator::Checksum::none && !v.amount)
        throw InputError(where + ": " + ctx + "expected at least one of regex, checksum, amount: true");
      r.validators_.emplace_back(label, std::move(v));
    }
  }
  for (const auto& [i, where] : require_valid_at)
    if (!r.validate(r.overrides_[i].entity, "").has_value())
      throw InputError(where + "require_valid: no validator for entity '" + r.overrides_[i].entity +
                       "' (add one under 'validators')");
  return r;
}

std::optional<bool> RoutingRules::validate(const std::string& label, std::string_view text) const {
  for (const auto& [l, v] : validators_)
    if (l == label) return v.valid(text);
  return std::nullopt;
}

void RoutingRules::validate_labels(const std::vector<std::string>& entity_types,
                                   const std::vector<std::string>& intents) const {
  const auto types = bare_types(entity_types);
  const auto has = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  const auto list = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  };
  const auto check_intent = [&](const std::string& label, const std::string& where) {
    if (intents.empty())
      throw InputError(source_ + ": " + where + ": names intent '" + label +
                       "' but the model has no intent head (remove intent rules or serve a model with intents)");
    if (!has(intents, label))
      throw InputError(source_ + ": " + where + ": unknown intent '" + label + "' (did you mean '" +
                       nearest(label, intents) + "'? the model's intents: " + list(intents) + ")");
  };
  for (size_t i = 0; i < overrides_.size(); ++i) {
    const auto& o = overrides_[i];
    const auto where = "overrides[" + std::to_string(i) + "] (" + o.name + ")";
    if (!o.entity.empty() && !has(types, o.entity))
      throw InputError(source_ + ": " + where + ": unknown entity label '" + o.entity + "' (did you mean '" +
                       nearest(o.entity, types) + "'? the model's entity labels: " + list(types) + ")");
    if (!o.intent.empty()) check_intent(o.intent, where);
  }
  for (const auto& [label, v] : validators_)
    if (!has(types, label))
      throw InputError(source_ + ": validators." + label + ": unknown entity label '" + label + "' (did you mean '" +
                       nearest(label, types) + "'? the model's entity labels: " + list(types) + ")");
  for (const auto& [label, queue] : intent_queues_) check_intent(label, "intents." + label);
  if (intent_is_queue_) known_intents_ = intents;
}

RouteDecision RoutingRules::route(const RouteInput& in, std::vector<ExplainStep>* explain) const {
  // The evidence strings are built only when explaining: `why` is called then.
  const auto step = [&](std::string_view rule, std::string_view name, bool matched, const auto& why) {
    if (explain) explain->push_back({std::string(rule).append(name), matched, why()});
  };
  const auto valid_of = [&](const RoutedEntity& e) { return e.valid ? e.valid : validate(e.label, e.text); };
  const auto entity_desc = [&](const RoutedEntity& e) {
    const auto valid = valid_of(e);
    return e.label + " '" + e.text + "' (score " + compact(e.score) +
           (valid ? std::string(", valid ") + (*valid ? "true" : "false") : std::string()) + ")";
  };
  for (const auto& o : overrides_) {
    if (!o.intent.empty() && (!in.has_intent || in.intent != o.intent)) {
      step("override:", o.name, false, [&] {
        return in.has_intent ? "intent " + in.intent + " is not " + o.intent : std::string("no intent head");
      });
      continue;
    }
    if (!o.entity.empty()) {
      const RoutedEntity* best = nullptr;  // the most confident entity the rule matches
      std::string rejected;                // why the others did not (when explaining)
      for (const auto& e : in.entities) {
        if (e.label != o.entity) continue;
        if (o.require_valid && valid_of(e) != std::optional<bool>(true)) {
          if (explain) rejected += (rejected.empty() ? "" : "; ") + entity_desc(e) + " is not valid";
          continue;
        }
        if (o.has_greater_than) {
          const auto v = parse_amount(e.text);
          if (!v || *v <= o.greater_than) {
            if (explain)
              rejected += (rejected.empty() ? "" : "; ") + entity_desc(e) +
                          (v ? " = " + compact(*v) + " <= " + compact(o.greater_than) : std::string(" has no number"));
            continue;
          }
        }
        if (!best || e.score > best->score) best = &e;
      }
      if (!best) {
        step("override:", o.name, false, [&] { return rejected.empty() ? "no " + o.entity + " entity" : rejected; });
        continue;
      }
      if (static_cast<double>(best->score) < o.min_entity_score) {
        step("override:", o.name, true, [&] {
          return entity_desc(*best) + ": score below min_entity_score " + compact(o.min_entity_score);
        });
        return {fallback_queue_,
                "low_entity_confidence:" + o.name + ":" + compact(best->score) + " < " + compact(o.min_entity_score),
                true};
      }
      step("override:", o.name, true,
           [&] { return entity_desc(*best) + (o.intent.empty() ? "" : ", intent " + in.intent); });
    } else {
      step("override:", o.name, true, [&] { return "intent " + in.intent; });
    }
    return {o.queue, "override:" + o.name, false};
  }
  if (!in.has_intent) {
    step("default_queue", "", true, [] { return std::string("no intent head"); });
    return {default_queue_, "default", false};
  }
  const bool low = static_cast<double>(in.intent_score) < min_intent_confidence_;
  step("min_intent_confidence", "", low, [&] {
    return "intent " + in.intent + " score " + compact(in.intent_score) + (low ? " < " : " >= ") +
           compact(min_intent_confidence_);
  });
  if (low)
    return {fallback_queue_,
            "low_confidence:" + compact(in.intent_score) + " < " + compact(min_intent_confidence_), true};
  const double margin = static_cast<double>(in.intent_score) - static_cast<double>(in.runner_up_score);
  if (min_intent_margin_ > 0.0 || explain) {
    const bool narrow = margin < min_intent_margin_;
    step("min_intent_margin", "", narrow, [&] {
      return "score " + compact(in.intent_score) + " - runner-up " + compact(in.runner_up_score) + " = " +
             compact(margin) + (narrow ? " < " : " >= ") + compact(min_intent_margin_);
    });
    if (narrow) return {fallback_queue_, "low_margin:" + compact(margin) + " < " + compact(min_intent_margin_), true};
  }
  if (intent_is_queue_) {
    step("intents", "", true, [&] { return "the queue is the intent label " + in.intent; });
    return {in.intent, "intent:" + in.intent, false};
  }
  for (const auto& [label, queue] : intent_queues_)
    if (label == in.intent) {
      step("intents", "", true, [&] { return in.intent + " -> " + queue; });
      return {queue, "intent:" + label, false};
    }
  step("intents", "", false, [&] { return "intent " + in.intent + " is not listed"; });
  step("default_queue", "", true, [] { return std::string("no earlier rule applied"); });
  return {default_queue_, "default", false};
}

std::vector<std::string> RoutingRules::queues() const {
  std::set<std::string> q{default_queue_};
  const bool abstains = std::any_of(overrides_.begin(), overrides_.end(),
                                    [](const Override& o) { return o.min_entity_score > 0.0; });
  if (min_intent_confidence_ > 0.0 || min_intent_margin_ > 0.0 || abstains) q.insert(fallback_queue_);
  if (intent_is_queue_) q.insert(known_intents_.begin(), known_intents_.end());
  for (const auto& [label, queue] : intent_queues_) q.insert(queue);
  for (const auto& o : overrides_) q.insert(o.queue);
  return {q.begin(), q.end()};
}

size_t RoutingRules::rule_count() const { return overrides_.size() + intent_queues_.size(); }

}  // namespace triage::serve
