// Nearest valid name by edit distance (see nearest.h).
#include "core/nearest.h"

#include <algorithm>

namespace triage {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

NearestName nearest_name(std::string_view name, const std::vector<std::string>& candidates, bool dotted) {
  NearestName best;
  for (const auto& c : candidates) {
    size_t d = edit_distance(name, c);
    if (dotted) {
      const auto dot = c.rfind('.');
      if (dot != std::string::npos) d = std::min(d, edit_distance(name, std::string_view(c).substr(dot + 1)) + 1);
    }
    if (d < best.distance) best = {c, d};
  }
  return best;
}

}  // namespace triage
