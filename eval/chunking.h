// Entity chunking exactly as seqeval 1.2 does it.
//
// Default (lenient, conlleval-compatible) mode is seqeval.metrics.sequence_labeling.
// get_entities: the first character of a tag is its prefix, the type is what follows the
// first '-' (or everything after the prefix; "_" when empty); I-/E- after O or after another
// type starts a new chunk; sentences are flattened with an "O" between them, so positions
// are indices into that flattened sequence.
//
// Strict mode is seqeval.scheme (mode="strict"): a chunk is only what the scheme's start,
// inside and end patterns allow (in IOB2: B-X followed by I-X...; a stray I-X is no chunk),
// and a tag whose prefix the scheme does not allow is an error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace triage::eval {

using Sentences = std::vector<std::vector<std::string>>;

// A chunk [first, last] (both inclusive, as seqeval's get_entities reports them).
// sentence is -1 in default mode, where positions index the flattened sequence.
struct Entity {
  std::string type;
  int64_t sentence = -1;
  int64_t first = 0;
  int64_t last = 0;
  auto operator<=>(const Entity&) const = default;
};

// seqeval get_entities over one flat sequence (an "O" is appended at the end).
std::vector<Entity> get_entities(const std::vector<std::string>& seq);
// seqeval get_entities over sentences: flattened with "O" after each sentence.
std::vector<Entity> get_entities(const Sentences& sentences);

enum class Scheme { IOB1, IOE1, IOB2, IOE2, IOBES, BILOU };

// "IOB2" -> Scheme::IOB2 (case-sensitive, seqeval's class names); nullopt if unknown.
std::optional<Scheme> parse_scheme(std::string_view name);
std::string_view scheme_name(Scheme scheme);

// A tag the strict scheme rejects. sentence and token locate it in the input.
class TagError : public InputError {
 public:
  TagError(const std::string& message, int64_t sentence, int64_t token)
      : InputError(message), sentence_(sentence), token_(token) {}
  int64_t sentence() const { return sentence_; }
  int64_t token() const { return token_; }

 private:
  int64_t sentence_;
  int64_t token_;
};

// seqeval.scheme.Tokens(...).entities for one sentence; Entity::sentence = sentence_id.
// Throws TagError for a tag whose prefix is not one of I O B E S U L or not allowed by scheme.
std::vector<Entity> strict_entities(const std::vector<std::string>& sentence, Scheme scheme,
                                    int64_t sentence_id = 0);
std::vector<Entity> strict_entities(const Sentences& sentences, Scheme scheme);

// seqeval.scheme.auto_detect: IOB2, IOE2, IOBES or BILOU from the prefixes present.
// Throws TagError when the prefixes fit none of them.
Scheme auto_detect(const Sentences& sentences);

}  // namespace triage::eval
