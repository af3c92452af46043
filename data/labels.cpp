// Label schema (see labels.h).
#include "data/labels.h"

#include <algorithm>

#include "core/error.h"

namespace triage::data {

namespace {
std::vector<std::string> sorted_unique(std::vector<std::string> v) {
  v.erase(std::remove(v.begin(), v.end(), std::string()), v.end());
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}
int32_t find_id(const std::map<std::string, int32_t, std::less<>>& m, std::string_view k) {
  auto it = m.find(k);
  return it == m.end() ? -1 : it->second;
}
}  // namespace

LabelSchema::LabelSchema(std::vector<std::string> entity_types, std::vector<std::string> intents)
    : types_(sorted_unique(std::move(entity_types))), intents_(sorted_unique(std::move(intents))) {
  tags_.push_back("O");
  for (size_t k = 0; k < types_.size(); ++k) {
    type_ids_.emplace(types_[k], static_cast<int32_t>(k));
    tags_.push_back("B-" + types_[k]);
    tags_.push_back("I-" + types_[k]);
  }
  for (size_t i = 0; i < tags_.size(); ++i) tag_ids_.emplace(tags_[i], static_cast<int32_t>(i));
  for (size_t i = 0; i < intents_.size(); ++i) intent_ids_.emplace(intents_[i], static_cast<int32_t>(i));
}

LabelSchema LabelSchema::from_examples(const std::vector<Example>& train) {
  std::vector<std::string> types, intents;
  for (const Example& e : train) {
    for (const EntitySpan& s : e.entities) types.push_back(s.label);
    intents.push_back(e.intent);
  }
  return LabelSchema(std::move(types), std::move(intents));
}

int32_t LabelSchema::entity_type_id(std::string_view type) const { return find_id(type_ids_, type); }
int32_t LabelSchema::tag_id(std::string_view tag) const { return find_id(tag_ids_, tag); }
int32_t LabelSchema::intent_id(std::string_view intent) const {
  return intent.empty() ? -1 : find_id(intent_ids_, intent);
}

UnseenLabels LabelSchema::unseen(const std::vector<Example>& split) const {
  UnseenLabels u;
  for (const Example& e : split) {
    for (const EntitySpan& s : e.entities)
      if (entity_type_id(s.label) < 0) ++u.entity_types[s.label];
    if (!e.intent.empty() && intent_id(e.intent) < 0) ++u.intents[e.intent];
  }
  return u;
}

nlohmann::json LabelSchema::to_json() const {
  return {{"entity_types", types_}, {"tags", tags_}, {"intents", intents_}};
}

LabelSchema LabelSchema::from_json(const nlohmann::json& j) {
  try {
    LabelSchema s(j.at("entity_types").get<std::vector<std::string>>(),
                  j.at("intents").get<std::vector<std::string>>());
    if (j.contains("tags") && j["tags"].get<std::vector<std::string>>() != s.tags_)
      throw InputError("label schema: \"tags\" does not match the tags of \"entity_types\" "
                       "(expected O, B-/I- per type in sorted order)");
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(std::string("label schema: ") + e.what());
  }
}

}  // namespace triage::data
