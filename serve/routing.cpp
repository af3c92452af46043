// Placeholder: defaults() only; the YAML loader arrives with the routing helper's change.
#include "serve/routing.h"

#include <algorithm>

#include "data/error.h"

namespace triage::serve {

RoutingRules RoutingRules::defaults() { return RoutingRules{}; }

RoutingRules RoutingRules::load_file(const std::string& path) {
  throw InputError(path + ": routing rules are not implemented yet");
}

RoutingRules RoutingRules::load_string(const std::string&, const std::string& source) {
  throw InputError(source + ": routing rules are not implemented yet");
}

void RoutingRules::validate_labels(const std::vector<std::string>&, const std::vector<std::string>&) const {}

RouteDecision RoutingRules::route(const RouteInput& in) const {
  if (!in.has_intent) return {default_queue_, "default", false};
  return {in.intent, "intent:" + in.intent, false};
}

std::vector<std::string> RoutingRules::queues() const { return {default_queue_, fallback_queue_}; }
size_t RoutingRules::rule_count() const { return overrides_.size() + intent_queues_.size(); }

}  // namespace triage::serve
