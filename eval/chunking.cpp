// Ports of seqeval.metrics.sequence_labeling.get_entities and seqeval.scheme (Token pattern
// tables, Tokens.entities, auto_detect). Keep them literal: the oracle test compares every
// number with seqeval, quirks included.
#include "eval/chunking.h"

#include <array>
#include <set>

namespace triage::eval {

namespace {

// Length in bytes of the UTF-8 code point starting text (Python's token[0]).
std::size_t first_code_point_len(std::string_view text) {
  if (text.empty()) return 0;
  const unsigned char c = static_cast<unsigned char>(text[0]);
  std::size_t n = 1;
  if (c >= 0xF0) n = 4;
  else if (c >= 0xE0) n = 3;
  else if (c >= 0xC0) n = 2;
  return std::min(n, text.size());
}

// ---- default mode -----------------------------------------------------------------------

struct Split {
  std::string_view tag;
  std::string_view type;
};

// tag = chunk[0]; type_ = chunk[1:].split('-', maxsplit=1)[-1] or '_'
Split split_default(std::string_view chunk) {
  const std::size_t n = first_code_point_len(chunk);
  Split s{chunk.substr(0, n), chunk.substr(n)};
  if (const auto dash = s.type.find('-'); dash != std::string_view::npos) s.type = s.type.substr(dash + 1);
  if (s.type.empty()) s.type = "_";
  return s;
}

bool end_of_chunk(std::string_view prev_tag, std::string_view tag, std::string_view prev_type,
                  std::string_view type) {
  if (prev_tag == "E" || prev_tag == "S") return true;
  if ((prev_tag == "B" || prev_tag == "I") && (tag == "B" || tag == "S" || tag == "O")) return true;
  return prev_tag != "O" && prev_tag != "." && prev_type != type;
}

bool start_of_chunk(std::string_view prev_tag, std::string_view tag, std::string_view prev_type,
                    std::string_view type) {
  if (tag == "B" || tag == "S") return true;
  if ((prev_tag == "E" || prev_tag == "S" || prev_tag == "O") && (tag == "E" || tag == "I")) return true;
  return tag != "O" && tag != "." && prev_type != type;
}

// ---- strict mode ------------------------------------------------------------------------

enum Prefix : unsigned { I = 1, O = 2, B = 4, E = 8, S = 16, U = 32, L = 64, ANY = 127 };
enum class TagCond { same, diff, any };

struct Pattern {
  unsigned prev;
  unsigned cur;
  TagCond cond;
};

struct SchemeDef {
  unsigned allowed;
  std::vector<Pattern> start, inside, end;
};

const SchemeDef& scheme_def(Scheme s) {
  using T = TagCond;
  static const std::array<SchemeDef, 6> defs = {{
      // IOB1
      {I | O | B,
       {{O, I, T::any}, {I, I, T::diff}, {B, I, T::any}, {I, B, T::same}, {B, B, T::same}},
       {{B, I, T::same}, {I, I, T::same}},
       {{I, I, T::diff}, {I, O, T::any}, {I, B, T::any}, {B, O, T::any}, {B, I, T::diff}, {B, B, T::same}}},
      // IOE1
      {I | O | E,
       {{O, I, T::any}, {I, I, T::diff}, {E, I, T::any}, {E, E, T::same}},
       {{I, I, T::same}, {I, E, T::same}},
       {{I, I, T::diff}, {I, O, T::any}, {I, E, T::diff}, {E, I, T::same}, {E, E, T::same}}},
      // IOB2
      {I | O | B,
       {{ANY, B, T::any}},
       {{B, I, T::same}, {I, I, T::same}},
       {{I, O, T::any}, {I, I, T::diff}, {I, B, T::any}, {B, O, T::any}, {B, I, T::diff}, {B, B, T::any}}},
      // IOE2
      {I | O | E,
       {{O, I, T::any}, {O, E, T::any}, {E, I, T::any}, {E, E, T::any}, {I, I, T::diff}, {I, E, T::diff}},
       {{I, E, T::same}, {I, I, T::same}},
       {{E, ANY, T::any}}},
      // IOBES
      {I | O | B | E | S,
       {{ANY, B, T::any}, {ANY, S, T::any}},
       {{B, I, T::same}, {B, E, T::same}, {I, I, T::same}, {I, E, T::same}},
       {{S, ANY, T::any}, {E, ANY, T::any}}},
      // BILOU
      {B | I | L | O | U,
       {{ANY, B, T::any}, {ANY, U, T::any}},
       {{B, I, T::same}, {B, L, T::same}, {I, I, T::same}, {I, L, T::same}},
       {{U, ANY, T::any}, {L, ANY, T::any}}},
  }};
  return defs[static_cast<std::size_t>(s)];
}

struct Token {
  unsigned prefix;
  std::string tag;
};

std::optional<unsigned> prefix_of(std::string_view token) {
  if (first_code_point_len(token) != 1) return std::nullopt;
  switch (token[0]) {
    case 'I': return I;
    case 'O': return O;
    case 'B': return B;
    case 'E': return E;
    case 'S': return S;
    case 'U': return U;
    case 'L': return L;
    default: return std::nullopt;
  }
}

// Token(token): prefix = Prefixes[token[0]]; tag = token[1:].strip('-') or '_'
Token make_token(std::string_view text, int64_t sentence, int64_t index) {
  const auto p = prefix_of(text);
  if (!p)
    throw TagError("tag '" + std::string(text) + "' has no scheme prefix (one of I O B E S U L)", sentence, index);
  std::string_view rest = text.substr(1);
  while (!rest.empty() && rest.front() == '-') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == '-') rest.remove_suffix(1);
  return {*p, rest.empty() ? std::string("_") : std::string(rest)};
}

bool matches(const std::vector<Pattern>& patterns, const Token& prev, const Token& cur) {
  for (const auto& p : patterns) {
    if (!(prev.prefix & p.prev) || !(cur.prefix & p.cur)) continue;
    if (p.cond == TagCond::any) return true;
    if (p.cond == TagCond::same && prev.tag == cur.tag) return true;
    if (p.cond == TagCond::diff && prev.tag != cur.tag) return true;
  }
  return false;
}

std::string allowed_list(unsigned allowed) {
  std::string out;
  for (auto [bit, name] : {std::pair{I, "I"}, {O, "O"}, {B, "B"}, {E, "E"}, {S, "S"}, {U, "U"}, {L, "L"}})
    if (allowed & bit) out += std::string(out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

std::vector<Entity> get_entities(const std::vector<std::string>& seq) {
  std::vector<Entity> chunks;
  std::string prev_tag = "O", prev_type;
  int64_t begin = 0;
  const int64_t n = static_cast<int64_t>(seq.size());
  for (int64_t i = 0; i <= n; ++i) {
    const Split s = split_default(i < n ? std::string_view(seq[i]) : std::string_view("O"));
    if (end_of_chunk(prev_tag, s.tag, prev_type, s.type)) chunks.push_back({prev_type, -1, begin, i - 1});
    if (start_of_chunk(prev_tag, s.tag, prev_type, s.type)) begin = i;
    prev_tag = s.tag;
    prev_type = s.type;
  }
  return chunks;
}

std::vector<Entity> get_entities(const Sentences& sentences) {
  std::vector<std::string> flat;
  for (const auto& s : sentences) {
    flat.insert(flat.end(), s.begin(), s.end());
    flat.emplace_back("O");
  }
  return get_entities(flat);
}

std::optional<Scheme> parse_scheme(std::string_view name) {
  for (Scheme s : {Scheme::IOB1, Scheme::IOE1, Scheme::IOB2, Scheme::IOE2, Scheme::IOBES, Scheme::BILOU})
    if (scheme_name(s) == name) return s;
  return std::nullopt;
}

std::string_view scheme_name(Scheme scheme) {
  switch (scheme) {
    case Scheme::IOB1: return "IOB1";
    case Scheme::IOE1: return "IOE1";
    case Scheme::IOB2: return "IOB2";
    case Scheme::IOE2: return "IOE2";
    case Scheme::IOBES: return "IOBES";
    case Scheme::BILOU: return "BILOU";
  }
  return "?";
}

std::vector<Entity> strict_entities(const std::vector<std::string>& sentence, Scheme scheme, int64_t sentence_id) {
  const SchemeDef& def = scheme_def(scheme);
  std::vector<Token> ext;
  ext.reserve(sentence.size() + 1);
  for (std::size_t i = 0; i < sentence.size(); ++i)
    ext.push_back(make_token(sentence[i], sentence_id, static_cast<int64_t>(i)));
  const Token outside{O, "_"};
  ext.push_back(outside);
  const std::size_t n_tokens = sentence.size();

  std::vector<Entity> entities;
  std::size_t i = 0;
  const Token* prev = &outside;
  while (i < ext.size()) {
    const Token& token = ext[i];
    if (!(token.prefix & def.allowed))
      throw TagError("tag '" + sentence[i] + "' is not valid in strict " + std::string(scheme_name(scheme)) +
                         " mode (allowed prefixes: " + allowed_list(def.allowed) + ")",
                     sentence_id, static_cast<int64_t>(i));
    if (matches(def.start, *prev, token)) {
      // _forward: extend while tokens are inside the chunk.
      std::size_t end = n_tokens - 1;  // seqeval's fallback; unreachable since O is never inside
      const Token* p = &token;
      for (std::size_t j = i + 1; j < ext.size(); ++j) {
        if (!matches(def.inside, *p, ext[j])) {
          end = j;
          break;
        }
        p = &ext[j];
      }
      if (matches(def.end, ext[end - 1], ext[end]))
        entities.push_back({token.tag, sentence_id, static_cast<int64_t>(i), static_cast<int64_t>(end) - 1});
      i = end;
    } else {
      ++i;
    }
    prev = &ext[i - 1];
  }
  return entities;
}

std::vector<Entity> strict_entities(const Sentences& sentences, Scheme scheme) {
  std::vector<Entity> out;
  for (std::size_t s = 0; s < sentences.size(); ++s) {
    auto e = strict_entities(sentences[s], scheme, static_cast<int64_t>(s));
    out.insert(out.end(), e.begin(), e.end());
  }
  return out;
}

Scheme auto_detect(const Sentences& sentences) {
  unsigned present = 0;
  for (std::size_t s = 0; s < sentences.size(); ++s)
    for (std::size_t t = 0; t < sentences[s].size(); ++t) {
      const auto p = prefix_of(sentences[s][t]);
      if (!p)
        throw TagError("tag '" + sentences[s][t] + "' has no scheme prefix (one of I O B E S U L)",
                       static_cast<int64_t>(s), static_cast<int64_t>(t));
      present |= *p;
    }
  const std::set<unsigned> iob2 = {I | O | B, I | B, B | O, B};
  const std::set<unsigned> ioe2 = {I | O | E, I | E, E | O, E};
  const std::set<unsigned> iobes = {I | O | B | E | S, I | B | E | S, I | O | B | E, O | B | E | S, I | B | E,
                                    B | E | S,         O | B | E,     B | E,         S};
  const std::set<unsigned> bilou = {I | O | B | L | U, I | B | L | U, I | O | B | L, O | B | L | U, I | B | L,
                                    B | L | U,         O | B | L,     B | L,         U};
  if (iob2.count(present)) return Scheme::IOB2;
  if (ioe2.count(present)) return Scheme::IOE2;
  if (iobes.count(present)) return Scheme::IOBES;
  if (bilou.count(present)) return Scheme::BILOU;
  throw TagError("cannot detect the tagging scheme from the gold prefixes {" + allowed_list(present) +
                     "}; name one with --scheme",
                 -1, -1);
}

}  // namespace triage::eval
