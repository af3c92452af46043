// Word-level tag sequences <-> entity spans over word indices, for the tag schemes support
// teams export: IO, IOB1, IOB2 (BIO) and BIOES. Reading is lenient the way seqeval's
// default mode is: an I- (or E-) tag that does not continue an entity of its type starts
// one, which is exactly the IOB1 and IO reading, so one decoder serves every scheme and
// the scheme only decides what counts as a repair worth a warning.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace triage::data {

enum class TagScheme { io, iob1, iob2, bioes };

// "io", "iob1", "iob2" (or "bio"), "bioes"; nullopt otherwise.
std::optional<TagScheme> parse_tag_scheme(std::string_view name);
const char* tag_scheme_name(TagScheme scheme);

// An entity over words [begin, end).
struct WordEntity {
  int32_t begin = 0;
  int32_t end = 0;
  std::string label;
  bool operator==(const WordEntity&) const = default;
};

// A tag split into its prefix ('B', 'I', 'E', 'S', or 'O') and type. A bare label without
// a prefix ("city") reads as 'I' (the IO scheme's plain form). Returns false on an empty
// type after a prefix ("B-") or an empty tag.
bool split_tag(std::string_view tag, char& prefix, std::string_view& type);

struct TagDecodeResult {
  std::vector<WordEntity> entities;
  int32_t repairs = 0;  // tags the scheme does not allow where they stand, read leniently
};

// Tags to entities. scheme only decides what counts as a repair: for iob2, an I- that does
// not continue its type; for bioes, an I-/E- that does not continue, a B- not followed by
// I-/E- of its type, or an I- ending an entity. Throws nothing; invalid tags (see split_tag)
// must be rejected by the caller.
TagDecodeResult tags_to_entities(const std::vector<std::string_view>& tags, TagScheme scheme);

// Entities (ascending, disjoint) to n tags in scheme (io writes "I-x", iob1 writes B- only
// between two adjacent entities of the same type).
std::vector<std::string> entities_to_tags(const std::vector<WordEntity>& entities, int32_t n,
                                          TagScheme scheme);

}  // namespace triage::data
