// Redacted text from entity spans (see redact.h).
#include "serve/redact.h"

#include <algorithm>
#include <cctype>

#include "data/utf8.h"

namespace triage::serve {

std::string redact(std::string_view text, const std::vector<EntityOut>& entities, int32_t turn,
                   const std::vector<std::string>& labels) {
  std::vector<const EntityOut*> hits;
  for (const auto& e : entities)
    if (e.turn == turn && std::find(labels.begin(), labels.end(), e.label) != labels.end()) hits.push_back(&e);
  if (hits.empty()) return std::string(text);
  std::sort(hits.begin(), hits.end(), [](const EntityOut* a, const EntityOut* b) { return a->start < b->start; });
  std::vector<uint32_t> starts;  // byte offset of each code point, and of the end
  data::utf8::code_point_starts(text, starts);
  const auto n = static_cast<int32_t>(starts.size()) - 1;
  std::string out;
  out.reserve(text.size());
  int32_t at = 0;  // code points copied so far
  for (const auto* e : hits) {
    const int32_t b = std::clamp(e->start, at, n), end = std::clamp(e->end, b, n);
    if (b >= end) continue;
    out.append(text.substr(starts[static_cast<size_t>(at)], starts[static_cast<size_t>(b)] - starts[static_cast<size_t>(at)]));
    out += '[';
    for (char c : e->label) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out += ']';
    at = end;
  }
  out.append(text.substr(starts[static_cast<size_t>(at)]));
  return out;
}

}  // namespace triage::serve
