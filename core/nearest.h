// "Did you mean": the valid name closest to a misspelt one, for every error that names an
// unknown config key, request field, routing rule key or label.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace triage {

// Levenshtein distance (insertions, deletions, substitutions of bytes).
size_t edit_distance(std::string_view a, std::string_view b);

struct NearestName {
  std::string name;             // "" when there were no candidates
  size_t distance = SIZE_MAX;   // edit distance to name
};

// The candidate closest to name (the first of equally close ones). With dotted, a candidate
// "section.key" also matches name by its last component at one extra edit, so "lr" finds
// "optim.lr".
NearestName nearest_name(std::string_view name, const std::vector<std::string>& candidates, bool dotted = false);

}  // namespace triage
