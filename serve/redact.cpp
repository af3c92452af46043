// Redacted text from entity spans (see redact.h).
#include "serve/redact.h"

#include <algorithm>
#include <cctype>

#include "data/utf8.h"

namespace triage::serve {

Redacted redact_with_entities(std::string_view text, const std::vector<EntityOut>& entities, int32_t turn,
                              const std::vector<std::string>& labels) {
  std::vector<const EntityOut*> mine;
  for (const auto& e : entities)
    if (e.turn == turn) mine.push_back(&e);
  std::sort(mine.begin(), mine.end(), [](const EntityOut* a, const EntityOut* b) { return a->start < b->start; });
  std::vector<uint32_t> starts;  // byte offset of each code point, and of the end
  data::utf8::code_point_starts(text, starts);
  const auto n = static_cast<int32_t>(starts.size()) - 1;
  auto bytes = [&](int32_t from, int32_t to) {
    return text.substr(starts[static_cast<size_t>(from)], starts[static_cast<size_t>(to)] - starts[static_cast<size_t>(from)]);
  };
  Redacted r;
  r.text.reserve(text.size());
  int32_t at = 0, out_cp = 0;  // code points copied from text / written to r.text
  for (const auto* e : mine) {
    const int32_t b = std::clamp(e->start, at, n), end = std::clamp(e->end, b, n);
    if (b >= end) continue;
    r.text.append(bytes(at, b));
    out_cp += b - at;
    EntityOut moved = *e;
    moved.start = out_cp;
    if (std::find(labels.begin(), labels.end(), e->label) != labels.end()) {
      std::string placeholder;
      placeholder.reserve(e->label.size() + 2);
      placeholder.push_back('[');
      for (char c : e->label) placeholder.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
      placeholder.push_back(']');
      moved.text = std::move(placeholder);
      out_cp += static_cast<int32_t>(moved.text.size());  // ASCII: one code point per byte
    } else {
      moved.text = std::string(bytes(b, end));
      out_cp += end - b;
    }
    r.text += moved.text;
    moved.end = out_cp;
    r.entities.push_back(std::move(moved));
    at = end;
  }
  r.text.append(bytes(at, n));
  return r;
}

std::string redact(std::string_view text, const std::vector<EntityOut>& entities, int32_t turn,
                   const std::vector<std::string>& labels) {
  return redact_with_entities(text, entities, turn, labels).text;
}

}  // namespace triage::serve
