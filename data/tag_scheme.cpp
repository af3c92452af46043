// Tag schemes (see tag_scheme.h).
#include "data/tag_scheme.h"

namespace triage::data {

std::optional<TagScheme> parse_tag_scheme(std::string_view name) {
  if (name == "io") return TagScheme::io;
  if (name == "iob1") return TagScheme::iob1;
  if (name == "iob2" || name == "bio") return TagScheme::iob2;
  if (name == "bioes") return TagScheme::bioes;
  return std::nullopt;
}

const char* tag_scheme_name(TagScheme scheme) {
  switch (scheme) {
    case TagScheme::io: return "io";
    case TagScheme::iob1: return "iob1";
    case TagScheme::iob2: return "iob2";
    case TagScheme::bioes: return "bioes";
  }
  return "?";
}

bool split_tag(std::string_view tag, char& prefix, std::string_view& type) {
  if (tag.empty()) return false;
  if (tag == "O") {
    prefix = 'O';
    type = {};
    return true;
  }
  if (tag.size() >= 2 && (tag[1] == '-' || tag[1] == '_') &&
      (tag[0] == 'B' || tag[0] == 'I' || tag[0] == 'E' || tag[0] == 'S' || tag[0] == 'L' ||
       tag[0] == 'U')) {
    type = tag.substr(2);
    if (type.empty()) return false;
    // BILOU spellings of BIOES.
    prefix = tag[0] == 'L' ? 'E' : tag[0] == 'U' ? 'S' : tag[0];
    return true;
  }
  prefix = 'I';
  type = tag;
  return true;
}

TagDecodeResult tags_to_entities(const std::vector<std::string_view>& tags, TagScheme scheme) {
  TagDecodeResult r;
  bool open = false;  // an entity is open and may continue
  std::string_view open_type;
  char prev_prefix = 'O';
  auto close = [&](int32_t end) {
    if (!r.entities.empty() && r.entities.back().end < 0) r.entities.back().end = end;
  };
  auto start = [&](int32_t i, std::string_view type) {
    close(i);
    r.entities.push_back({i, -1, std::string(type)});
    open = true;
    open_type = type;
  };
  const int32_t n = static_cast<int32_t>(tags.size());
  for (int32_t i = 0; i < n; ++i) {
    char p = 'O';
    std::string_view type;
    if (!split_tag(tags[i], p, type)) p = 'O';
    const bool continues = open && type == open_type;
    if (scheme == TagScheme::bioes && open && prev_prefix == 'B' &&
        !((p == 'I' || p == 'E') && continues))
      ++r.repairs;  // B- must be followed by I-/E- of its type
    switch (p) {
      case 'O':
        if (scheme == TagScheme::bioes && open && prev_prefix == 'I') ++r.repairs;
        close(i);
        open = false;
        break;
      case 'B':
        if (scheme == TagScheme::bioes && open && prev_prefix == 'I') ++r.repairs;
        start(i, type);
        break;
      case 'S':
        start(i, type);
        close(i + 1);
        open = false;
        break;
      case 'I':
      case 'E':
        if (!continues) {
          if (scheme == TagScheme::iob2 || scheme == TagScheme::bioes) ++r.repairs;
          start(i, type);
        }
        if (p == 'E') {
          close(i + 1);
          open = false;
        }
        break;
    }
    prev_prefix = p;
  }
  close(n);
  return r;
}

std::vector<std::string> entities_to_tags(const std::vector<WordEntity>& entities, int32_t n,
                                          TagScheme scheme) {
  std::vector<std::string> tags(static_cast<size_t>(n), "O");
  int32_t prev_end = -1;
  std::string_view prev_type;
  for (const WordEntity& e : entities) {
    for (int32_t i = e.begin; i < e.end; ++i) {
      char p = 'I';
      switch (scheme) {
        case TagScheme::io: p = 'I'; break;
        case TagScheme::iob1:
          p = (i == e.begin && prev_end == e.begin && prev_type == e.label) ? 'B' : 'I';
          break;
        case TagScheme::iob2: p = i == e.begin ? 'B' : 'I'; break;
        case TagScheme::bioes:
          p = e.end - e.begin == 1 ? 'S' : i == e.begin ? 'B' : i + 1 == e.end ? 'E' : 'I';
          break;
      }
      tags[static_cast<size_t>(i)] = std::string(1, p) + "-" + e.label;
    }
    prev_end = e.end;
    prev_type = e.label;
  }
  return tags;
}

}  // namespace triage::data
