// tokenizer.json normalizers (see normalizers.h), after tokenizers' normalizers/*.rs and the
// NormalizedString operations they use (tokenizer/normalizer.rs).
#include "data/normalizers.h"

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/base64.h"
#include "core/error.h"
#include "data/bert_normalizer.h"
#include "data/json_stage.h"
#include "data/precompiled_charsmap.h"
#include "data/text_pattern.h"
#include "data/unicode/char_sets.h"
#include "data/unicode/graphemes.h"
#include "data/unicode/normalization.h"
#include "data/unicode/tables.h"
#include "data/utf8.h"

namespace triage::data {
namespace {

using nlohmann::json;
namespace js = json_stage;

class BertNorm final : public Normalizer {
 public:
  explicit BertNorm(BertNormalizerOptions o) : o_(std::move(o)) {}
  void normalize(AlignedText& t) const override {
    thread_local std::vector<NormChar> out;
    thread_local AlignedText next;
    out.clear();
    bert_normalize(o_, t.chars.data(), 0, t.size(), out);
    next.clear();
    for (const NormChar& c : out) next.push(c.cp, t.align[static_cast<size_t>(c.orig)]);
    std::swap(t, next);
  }

 private:
  BertNormalizerOptions o_;
};

class Lowercase final : public Normalizer {
 public:
  void normalize(AlignedText& t) const override {
    thread_local AlignedText next;
    next.clear();
    for (size_t i = 0; i < t.size(); ++i) {
      const char32_t c = t.chars[i];
      char32_t lo[3];
      const size_t n = (unicode::flags(c) & unicode::kLower) ? unicode::lowercase(c, lo) : 0;
      if (n == 0) {
        next.push(c, t.align[i]);
      } else {
        for (size_t k = 0; k < n; ++k) next.push(lo[k], t.align[i]);
      }
    }
    std::swap(t, next);
  }
};

class Strip final : public Normalizer {
 public:
  Strip(bool left, bool right) : left_(left), right_(right) {}
  void normalize(AlignedText& t) const override {
    const auto space = [](char32_t c) { return (unicode::flags(c) & unicode::kSplitSpace) != 0; };
    size_t b = 0, e = t.size();
    if (left_)
      while (b < e && space(t.chars[b])) ++b;
    if (right_)
      while (e > b && space(t.chars[e - 1])) --e;
    if (b == 0 && e == t.size()) return;
    t.chars = t.chars.substr(b, e - b);
    t.align.erase(t.align.begin() + static_cast<std::ptrdiff_t>(e), t.align.end());
    t.align.erase(t.align.begin(), t.align.begin() + static_cast<std::ptrdiff_t>(b));
  }

 private:
  bool left_, right_;
};

class StripAccents final : public Normalizer {
 public:
  void normalize(AlignedText& t) const override {
    const auto& marks = unicode::mark_chars();
    size_t k = 0;
    for (size_t i = 0; i < t.size(); ++i) {
      if (marks.contains(t.chars[i])) continue;
      t.chars[k] = t.chars[i];
      t.align[k] = t.align[i];
      ++k;
    }
    t.chars.resize(k);
    t.align.resize(k);
  }
};

// Every match becomes `content`; its characters take the range of the match's last
// character (tokenizers' NormalizedString::replace inserts them after removing the match).
class Replace final : public Normalizer {
 public:
  Replace(TextPattern pattern, std::u32string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void normalize(AlignedText& t) const override {
    thread_local std::vector<MatchRange> ranges;
    thread_local AlignedText next;
    pattern_.find(t.chars.data(), t.size(), ranges);
    next.clear();
    for (const MatchRange& r : ranges) {
      if (!r.match) {
        next.append(t, r.begin, r.end);
        continue;
      }
      CharRange32 a{0, 0};
      if (r.end > 0) a = t.align[r.end - 1];
      else if (!t.empty()) a = {t.align[0].first, t.align[0].first};
      for (char32_t c : content_) next.push(c, a);
    }
    std::swap(t, next);
  }

 private:
  TextPattern pattern_;
  std::u32string content_;
};

// All of `prepend` takes the range of the first character.
class Prepend final : public Normalizer {
 public:
  explicit Prepend(std::u32string prepend) : prepend_(std::move(prepend)) {}
  void normalize(AlignedText& t) const override {
    if (t.empty() || prepend_.empty()) return;
    const CharRange32 a = t.align[0];
    t.chars.insert(0, prepend_);
    t.align.insert(t.align.begin(), prepend_.size(), a);
  }

 private:
  std::u32string prepend_;
};

// NFC / NFD / NFKC / NFKD (unicode/normalization.h), mapped back through transform().
class UnicodeForm final : public Normalizer {
 public:
  explicit UnicodeForm(unicode::NormalForm form) : form_(form) {}
  void normalize(AlignedText& t) const override {
    // ASCII neither decomposes nor composes
    if (std::all_of(t.chars.begin(), t.chars.end(), [](char32_t c) { return c < 0x80; })) return;
    thread_local std::vector<CharChange> changes;
    changes.clear();
    unicode::normalize(form_, t.chars.data(), t.size(), changes);
    transform(t, changes);
  }

 private:
  unicode::NormalForm form_;
};

// SentencePiece's nmt_nfkc clean-up without the NFKC: ASCII controls (but \t \n \r) and
// U+008F / U+009F removed, other spaces and separators mapped to ' '.
class Nmt final : public Normalizer {
 public:
  void normalize(AlignedText& t) const override {
    size_t k = 0;
    for (size_t i = 0; i < t.size(); ++i) {
      const char32_t c = t.chars[i];
      if ((c >= 1 && c <= 8) || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || c == 0x8F || c == 0x9F)
        continue;
      const bool space = c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D || c == 0x1680 ||
                         (c >= 0x200B && c <= 0x200F) || c == 0x2028 || c == 0x2029 || c == 0x2581 ||
                         c == 0xFEFF || c == 0xFFFD;
      t.chars[k] = space ? U' ' : c;
      t.align[k] = t.align[i];
      ++k;
    }
    t.chars.resize(k);
    t.align.resize(k);
  }
};

// SentencePiece's compiled rules as tokenizers applies them (normalizers/precompiled.rs):
// per extended grapheme cluster under 6 bytes, the replacement of the shortest key that
// prefixes the cluster replaces all of it; otherwise each character is looked up alone.
// Changes follow its replace(): a longer replacement's extra characters are inserted, a
// shorter one's deficit is charged to the last change written so far.
class Precompiled final : public Normalizer {
 public:
  explicit Precompiled(PrecompiledCharsmap map) : map_(std::move(map)) {}
  void normalize(AlignedText& t) const override {
    thread_local std::vector<CharChange> changes;
    thread_local std::string key;
    thread_local std::vector<char32_t> repl;
    changes.clear();
    bool modified = false;
    const auto replace = [&](size_t old_count, std::string_view part) {
      repl.clear();
      utf8::decode(part, repl);
      for (char32_t c : repl) changes.push_back({c, 0});
      const auto diff = static_cast<int64_t>(repl.size()) - static_cast<int64_t>(old_count);
      if (diff > 0) {
        for (size_t k = 0; k < static_cast<size_t>(diff); ++k) changes[changes.size() - 1 - k].change = 1;
      } else if (diff < 0 && !changes.empty()) {
        changes.back().change += static_cast<int32_t>(diff);
      }
      modified = true;
    };
    const auto lookup = [&](std::string_view k) -> std::optional<std::string_view> {
      auto r = map_.transform(k);
      if (r && !utf8::valid(*r)) return std::nullopt;  // a value inside a character: tokenizers panics
      return r;
    };
    for (size_t b = 0; b < t.size();) {
      const size_t e = unicode::grapheme_end(t.chars.data(), b, t.size());
      key.clear();
      for (size_t i = b; i < e; ++i) utf8::append(key, t.chars[i]);
      if (key.size() < 6) {
        if (auto r = lookup(key)) {
          replace(e - b, *r);
          b = e;
          continue;
        }
      }
      for (size_t i = b; i < e; ++i) {
        key.clear();
        utf8::append(key, t.chars[i]);
        if (auto r = lookup(key)) {
          replace(1, *r);
        } else {
          changes.push_back({t.chars[i], 0});
        }
      }
      b = e;
    }
    if (modified) transform(t, changes);
  }

 private:
  PrecompiledCharsmap map_;
};

class SequenceNorm final : public Normalizer {
 public:
  explicit SequenceNorm(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
  void normalize(AlignedText& t) const override {
    for (const auto& s : steps_) s->normalize(t);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

std::u32string to_u32(const std::string& s, const std::string& where) {
  if (!utf8::valid(s)) throw InputError(where + ": not valid UTF-8");
  std::vector<char32_t> cps;
  utf8::decode(s, cps);
  return std::u32string(cps.begin(), cps.end());
}

}  // namespace

std::unique_ptr<Normalizer> parse_normalizer(const json& j, const std::string& where) {
  if (j.is_null()) return nullptr;
  const std::string type = js::type_of(j, where);
  if (type == "BertNormalizer") {
    js::check_keys(j, where, {"clean_text", "handle_chinese_chars", "strip_accents", "lowercase"});
    BertNormalizerOptions o;
    o.clean_text = js::get_bool(j, "clean_text", true, where);
    o.handle_chinese_chars = js::get_bool(j, "handle_chinese_chars", true, where);
    o.lowercase = js::get_bool(j, "lowercase", true, where);
    if (j.contains("strip_accents") && !j["strip_accents"].is_null())
      o.strip_accents = js::get_bool(j, "strip_accents", false, where);
    return std::make_unique<BertNorm>(o);
  }
  if (type == "Lowercase") {
    js::check_keys(j, where, {});
    return std::make_unique<Lowercase>();
  }
  if (type == "Strip") {
    js::check_keys(j, where, {"strip_left", "strip_right"});
    return std::make_unique<Strip>(js::get_bool(j, "strip_left", true, where),
                                   js::get_bool(j, "strip_right", true, where));
  }
  if (type == "StripAccents") {
    js::check_keys(j, where, {});
    return std::make_unique<StripAccents>();
  }
  if (type == "Replace") {
    js::check_keys(j, where, {"pattern", "content"});
    TextPattern pattern(js::require(j, "pattern", where), where + ".pattern");
    const std::string content = js::get_string(j, "content", "", where);
    if (!j.contains("content")) throw InputError(where + ": missing 'content'");
    return std::make_unique<Replace>(std::move(pattern), to_u32(content, where + ".content"));
  }
  if (type == "Prepend") {
    js::check_keys(j, where, {"prepend"});
    if (!j.contains("prepend")) throw InputError(where + ": missing 'prepend'");
    return std::make_unique<Prepend>(to_u32(js::get_string(j, "prepend", "", where), where + ".prepend"));
  }
  if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD") {
    js::check_keys(j, where, {});
    using unicode::NormalForm;
    const NormalForm form = type == "NFC" ? NormalForm::NFC : type == "NFD" ? NormalForm::NFD
                          : type == "NFKC" ? NormalForm::NFKC : NormalForm::NFKD;
    return std::make_unique<UnicodeForm>(form);
  }
  if (type == "Nmt") {
    js::check_keys(j, where, {});
    return std::make_unique<Nmt>();
  }
  if (type == "Precompiled") {
    js::check_keys(j, where, {"precompiled_charsmap"});
    const auto& m = js::require(j, "precompiled_charsmap", where);
    if (!m.is_string())
      throw InputError(where + ".precompiled_charsmap: expected a base64 string, found " + m.dump().substr(0, 60));
    const auto blob = base64_decode(m.get<std::string>());
    if (!blob) throw InputError(where + ".precompiled_charsmap: not valid base64");
    return std::make_unique<Precompiled>(PrecompiledCharsmap(*blob, where + ".precompiled_charsmap"));
  }
  if (type == "Sequence")
    return std::make_unique<SequenceNorm>(js::parse_list<Normalizer>(j, "normalizers", where, parse_normalizer));
  js::unsupported_type(type, where,
                       "BertNormalizer, NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, Replace, "
                       "Prepend, Nmt, Precompiled, Sequence");
}

}  // namespace triage::data
