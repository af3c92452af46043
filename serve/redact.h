// Redaction ("redact": true in /v1/route and /v1/tag, issue 18): a text with the entities of
// the sensitive labels (log.sensitive_labels, the list the request log masks) replaced by
// "[LABEL]", so that a ticket system downstream never stores the raw values. Offsets in the
// answer stay on the original text. Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "serve/response.h"

namespace triage::serve {

// `text` (valid UTF-8) with each entity of `entities` whose turn is `turn` and whose label is
// in `labels` replaced by "[" + upper-cased label + "]"; spans are code points [start, end)
// of `text`, disjoint (as decoding gives them); spans outside the text are clamped.
std::string redact(std::string_view text, const std::vector<EntityOut>& entities, int32_t turn,
                   const std::vector<std::string>& labels);

// The same, also returning the turn's entities moved onto the redacted text: a sensitive one
// now covers its "[LABEL]", the others keep their text at shifted offsets (the review queue
// writes these, so annotators see every label where the text now has it).
struct Redacted {
  std::string text;
  std::vector<EntityOut> entities;  // those of `turn`, in order, offsets in `text`
};
Redacted redact_with_entities(std::string_view text, const std::vector<EntityOut>& entities, int32_t turn,
                              const std::vector<std::string>& labels);

}  // namespace triage::serve
