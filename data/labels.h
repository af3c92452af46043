// The label schema: BIO tags over entity types plus the intent labels, built from the
// training split and saved in the checkpoint (config.json id2label, triage_intent_labels).
// Tag ids: 0 = "O", then "B-<type>" = 1 + 2k and "I-<type>" = 2 + 2k for entity type k in
// sorted order. Labels met later (dev/test only) have no id: lookups return -1, the
// alignment ignores them in the loss and eval scores them as errors.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/example.h"

namespace triage::data {

// Labels of a split that the schema does not know, with how often they occur.
struct UnseenLabels {
  std::map<std::string, int64_t> entity_types;  // entity type -> entity count
  std::map<std::string, int64_t> intents;       // intent -> example count
  bool empty() const { return entity_types.empty() && intents.empty(); }
};

class LabelSchema {
 public:
  LabelSchema() : LabelSchema(std::vector<std::string>{}, std::vector<std::string>{}) {}
  // Types and intents are sorted and deduplicated; empty strings are dropped.
  LabelSchema(std::vector<std::string> entity_types, std::vector<std::string> intents);
  static LabelSchema from_examples(const std::vector<Example>& train);

  const std::vector<std::string>& entity_types() const { return types_; }
  const std::vector<std::string>& intents() const { return intents_; }
  const std::vector<std::string>& tags() const { return tags_; }  // id -> "O", "B-x", ...
  int32_t num_tags() const { return static_cast<int32_t>(tags_.size()); }
  int32_t num_intents() const { return static_cast<int32_t>(intents_.size()); }

  int32_t entity_type_id(std::string_view type) const;  // -1 when unknown
  int32_t tag_id(std::string_view tag) const;           // -1 when unknown
  int32_t intent_id(std::string_view intent) const;     // -1 when unknown or empty
  static constexpr int32_t begin_tag(int32_t type) { return 1 + 2 * type; }
  static constexpr int32_t inside_tag(int32_t type) { return 2 + 2 * type; }
  // Entity type id of a tag id, -1 for O.
  static constexpr int32_t type_of_tag(int32_t tag) { return tag <= 0 ? -1 : (tag - 1) / 2; }
  static constexpr bool is_begin(int32_t tag) { return tag > 0 && (tag - 1) % 2 == 0; }

  UnseenLabels unseen(const std::vector<Example>& split) const;

  // {"entity_types": [...], "tags": [...], "intents": [...]}; from_json reads it back and
  // throws InputError when "tags" disagrees with the tags the types imply.
  nlohmann::json to_json() const;
  static LabelSchema from_json(const nlohmann::json& j);
  bool operator==(const LabelSchema& o) const { return types_ == o.types_ && intents_ == o.intents_; }

 private:
  std::vector<std::string> types_, intents_, tags_;
  std::map<std::string, int32_t, std::less<>> type_ids_, intent_ids_, tag_ids_;
};

}  // namespace triage::data
