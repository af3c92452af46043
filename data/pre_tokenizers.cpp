// tokenizer.json pre-tokenizers (see pre_tokenizers.h).
#include "data/pre_tokenizers.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/byte_level.h"
#include "data/json_stage.h"
#include "data/text_pattern.h"
#include "data/unicode/char_sets.h"
#include "data/unicode/tables.h"
#include "data/utf8.h"

namespace triage::data {
namespace {

using nlohmann::json;
namespace js = json_stage;
using Cuts = std::vector<std::pair<uint32_t, uint32_t>>;

// tokenizers' Pattern for a character predicate: each character it accepts is one match.
template <typename Pred>
void char_matches(const AlignedText& t, uint32_t b, uint32_t e, Pred pred, std::vector<MatchRange>& out) {
  out.clear();
  uint32_t last = b;
  for (uint32_t i = b; i < e; ++i) {
    if (!pred(t.chars[i])) continue;
    if (last < i) out.push_back({last, i, false});
    out.push_back({i, i + 1, true});
    last = i + 1;
  }
  if (last < e) out.push_back({last, e, false});
}

template <typename Pred>
void split_on_chars(PreTokenized& s, Pred pred, SplitBehavior behavior) {
  thread_local std::vector<MatchRange> ranges;
  resplit(s, [&](const AlignedText& t, uint32_t b, uint32_t e, Cuts& out) {
    char_matches(t, b, e, pred, ranges);
    apply_split_behavior(ranges, behavior, out);
  });
}

bool is_whitespace(char32_t c) { return (unicode::flags(c) & unicode::kSplitSpace) != 0; }
bool is_punctuation(char32_t c) { return (unicode::flags(c) & unicode::kPunct) != 0; }

class BertPre final : public PreTokenizer {
 public:
  void pre_tokenize(PreTokenized& s) const override {
    split_on_chars(s, is_whitespace, SplitBehavior::removed);
    split_on_chars(s, is_punctuation, SplitBehavior::isolated);
  }
};

class ByteLevelPre final : public PreTokenizer {
 public:
  explicit ByteLevelPre(ByteLevelOptions o) : o_(o) {}
  void pre_tokenize(PreTokenized& s) const override { byte_level_pre_tokenize(s, o_); }
  std::optional<bool> byte_level_prefix_space() const override { return o_.add_prefix_space; }

 private:
  ByteLevelOptions o_;
};

enum class PrependScheme { always, first, never };

class Metaspace final : public PreTokenizer {
 public:
  Metaspace(char32_t replacement, PrependScheme scheme, bool split)
      : replacement_(replacement), scheme_(scheme), split_(split) {}
  void pre_tokenize(PreTokenized& s) const override {
    thread_local PreTokenized next;
    thread_local std::vector<MatchRange> ranges;
    thread_local Cuts cuts;
    next.clear();
    for (const Split& sp : s.splits) {
      const uint32_t at = static_cast<uint32_t>(next.text.size());
      if (sp.added_id >= 0) {
        next.text.append(s.text, sp.begin, sp.end);
        next.splits.push_back({at, static_cast<uint32_t>(next.text.size()), sp.added_id});
        continue;
      }
      // spaces become the replacement; it is prepended (taking the first character's range)
      const bool starts = s.text.chars[sp.begin] == U' ' || s.text.chars[sp.begin] == replacement_;
      const bool prepend = !starts && (scheme_ == PrependScheme::always ||
                                       (scheme_ == PrependScheme::first && s.text.align[sp.begin].first == 0));
      if (prepend) next.text.push(replacement_, s.text.align[sp.begin]);
      for (uint32_t i = sp.begin; i < sp.end; ++i)
        next.text.push(s.text.chars[i] == U' ' ? replacement_ : s.text.chars[i], s.text.align[i]);
      const uint32_t end = static_cast<uint32_t>(next.text.size());
      if (!split_) {
        next.splits.push_back({at, end, -1});
        continue;
      }
      char_matches(next.text, at, end, [&](char32_t c) { return c == replacement_; }, ranges);
      cuts.clear();
      apply_split_behavior(ranges, SplitBehavior::merged_with_next, cuts);
      for (const auto& [b, e] : cuts)
        if (b < e) next.splits.push_back({b, e, -1});
    }
    std::swap(s.text, next.text);
    std::swap(s.splits, next.splits);
  }

 private:
  char32_t replacement_;
  PrependScheme scheme_;
  bool split_;
};

// Whitespace: the matches of \w+|[^\w\s]+ (Rust regex classes), the rest dropped.
class WhitespacePre final : public PreTokenizer {
 public:
  void pre_tokenize(PreTokenized& s) const override {
    const auto& word = unicode::word_chars();
    const auto& space = unicode::space_chars();
    resplit(s, [&](const AlignedText& t, uint32_t b, uint32_t e, Cuts& out) {
      uint32_t i = b;
      while (i < e) {
        const char32_t c = t.chars[i];
        if (space.contains(c) && !word.contains(c)) {
          ++i;
          continue;
        }
        const bool w = word.contains(c);
        const uint32_t start = i;
        ++i;
        while (i < e && (w ? word.contains(t.chars[i])
                           : !word.contains(t.chars[i]) && !space.contains(t.chars[i])))
          ++i;
        out.emplace_back(start, i);
      }
    });
  }
};

class WhitespaceSplit final : public PreTokenizer {
 public:
  void pre_tokenize(PreTokenized& s) const override {
    split_on_chars(s, is_whitespace, SplitBehavior::removed);
  }
};

class PunctuationPre final : public PreTokenizer {
 public:
  explicit PunctuationPre(SplitBehavior b) : behavior_(b) {}
  void pre_tokenize(PreTokenized& s) const override { split_on_chars(s, is_punctuation, behavior_); }

 private:
  SplitBehavior behavior_;
};

class DigitsPre final : public PreTokenizer {
 public:
  explicit DigitsPre(bool individual) : individual_(individual) {}
  void pre_tokenize(PreTokenized& s) const override {
    const auto& numeric = unicode::numeric_chars();
    split_on_chars(s, [&](char32_t c) { return numeric.contains(c); },
                   individual_ ? SplitBehavior::isolated : SplitBehavior::contiguous);
  }

 private:
  bool individual_;
};

class SplitPre final : public PreTokenizer {
 public:
  SplitPre(TextPattern pattern, SplitBehavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  void pre_tokenize(PreTokenized& s) const override {
    thread_local std::vector<MatchRange> ranges;
    resplit(s, [&](const AlignedText& t, uint32_t b, uint32_t e, Cuts& out) {
      pattern_.find(t.chars.data() + b, e - b, ranges);
      for (MatchRange& r : ranges) {
        r.begin += b;
        r.end += b;
        if (invert_) r.match = !r.match;
      }
      apply_split_behavior(ranges, behavior_, out);
    });
  }

 private:
  TextPattern pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

class SequencePre final : public PreTokenizer {
 public:
  explicit SequencePre(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
  void pre_tokenize(PreTokenized& s) const override {
    for (const auto& p : steps_) p->pre_tokenize(s);
  }
  std::optional<bool> byte_level_prefix_space() const override {
    for (const auto& p : steps_)
      if (auto v = p->byte_level_prefix_space()) return v;
    return std::nullopt;
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

char32_t single_char(const std::string& s, const std::string& where) {
  std::vector<char32_t> cps;
  if (!utf8::valid(s)) throw InputError(where + ": not valid UTF-8");
  utf8::decode(s, cps);
  if (cps.size() != 1)
    throw InputError(where + ": expected one character, found '" + s + "'");
  return cps[0];
}

}  // namespace

SplitBehavior parse_split_behavior(const json& j, const std::string& where) {
  static const std::pair<const char*, SplitBehavior> names[] = {
      {"Removed", SplitBehavior::removed},
      {"Isolated", SplitBehavior::isolated},
      {"MergedWithPrevious", SplitBehavior::merged_with_previous},
      {"MergedWithNext", SplitBehavior::merged_with_next},
      {"Contiguous", SplitBehavior::contiguous}};
  if (j.is_string())
    for (const auto& [name, b] : names)
      if (j.get<std::string>() == name) return b;
  throw InputError(where + ": expected one of Removed, Isolated, MergedWithPrevious, "
                   "MergedWithNext, Contiguous, found " + j.dump().substr(0, 80));
}

std::unique_ptr<PreTokenizer> parse_pre_tokenizer(const json& j, const std::string& where) {
  if (j.is_null()) return nullptr;
  const std::string type = js::type_of(j, where);
  if (type == "BertPreTokenizer") {
    js::check_keys(j, where, {});
    return std::make_unique<BertPre>();
  }
  if (type == "ByteLevel") {
    js::check_keys(j, where, {"add_prefix_space", "trim_offsets", "use_regex"});
    ByteLevelOptions o;
    o.add_prefix_space = js::get_bool(j, "add_prefix_space", true, where);
    o.use_regex = js::get_bool(j, "use_regex", true, where);
    js::get_bool(j, "trim_offsets", true, where);  // used by the post-processor only
    return std::make_unique<ByteLevelPre>(o);
  }
  if (type == "Metaspace") {
    js::check_keys(j, where, {"replacement", "prepend_scheme", "split", "add_prefix_space", "str_rep"});
    const char32_t replacement =
        single_char(js::get_string(j, "replacement", "\xE2\x96\x81", where), where + ".replacement");
    const std::string scheme_name = js::get_string(j, "prepend_scheme", "always", where);
    PrependScheme scheme;
    if (scheme_name == "always") scheme = PrependScheme::always;
    else if (scheme_name == "first") scheme = PrependScheme::first;
    else if (scheme_name == "never") scheme = PrependScheme::never;
    else
      throw InputError(where + ".prepend_scheme: expected always, first or never, found '" +
                       scheme_name + "'");
    if (j.contains("add_prefix_space") && !js::get_bool(j, "add_prefix_space", true, where)) {
      if (scheme != PrependScheme::never && j.contains("prepend_scheme"))
        throw InputError(where + ": add_prefix_space false does not match prepend_scheme '" +
                         scheme_name + "'");
      scheme = PrependScheme::never;
    }
    return std::make_unique<Metaspace>(replacement, scheme, js::get_bool(j, "split", true, where));
  }
  if (type == "Whitespace") {
    js::check_keys(j, where, {});
    return std::make_unique<WhitespacePre>();
  }
  if (type == "WhitespaceSplit") {
    js::check_keys(j, where, {});
    return std::make_unique<WhitespaceSplit>();
  }
  if (type == "Punctuation") {
    js::check_keys(j, where, {"behavior"});
    return std::make_unique<PunctuationPre>(
        j.contains("behavior") ? parse_split_behavior(j["behavior"], where + ".behavior")
                               : SplitBehavior::isolated);
  }
  if (type == "Digits") {
    js::check_keys(j, where, {"individual_digits"});
    return std::make_unique<DigitsPre>(js::get_bool(j, "individual_digits", false, where));
  }
  if (type == "Split") {
    js::check_keys(j, where, {"pattern", "behavior", "invert"});
    TextPattern pattern(js::require(j, "pattern", where), where + ".pattern");
    const SplitBehavior b = parse_split_behavior(js::require(j, "behavior", where), where + ".behavior");
    if (!j.contains("invert")) throw InputError(where + ": missing 'invert'");
    return std::make_unique<SplitPre>(std::move(pattern), b, js::get_bool(j, "invert", false, where));
  }
  if (type == "Sequence")
    return std::make_unique<SequencePre>(js::parse_list<PreTokenizer>(j, "pretokenizers", where, parse_pre_tokenizer));
  js::unsupported_type(type, where,
                       "BertPreTokenizer, ByteLevel, Metaspace, Whitespace, WhitespaceSplit, "
                       "Punctuation, Digits, Split, Sequence");
}

}  // namespace triage::data
