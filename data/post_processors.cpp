// tokenizer.json post-processors (see post_processors.h).
#include "data/post_processors.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/byte_level.h"
#include "data/json_stage.h"
#include "data/unicode/tables.h"

namespace triage::data {
namespace {

using nlohmann::json;
namespace js = json_stage;

// tokenizers' byte_level::process_offsets: drop leading and trailing spaces from each
// token's offsets, except the one space add_prefix_space put before the first token.
void trim_offsets(TokenSeq& seq, bool add_prefix_space) {
  for (size_t i = 0; i < seq.size(); ++i) {
    auto [lead, trail] = seq.spaces[i];
    auto& [b, e] = seq.offsets[i];
    if (lead > 0) {
      const bool is_first = i == 0 || b == 0;
      if (is_first && add_prefix_space && lead == 1) lead = 0;
      b = std::min(b + lead, e);
    }
    if (trail > 0 && e >= trail) e = std::max(e - trail, b);
  }
}

// Puts the special tokens `front` before the sequence and `back` after it.
void wrap(TokenSeq& seq, const std::vector<int32_t>& front, const std::vector<int32_t>& back) {
  const auto insert = [&](size_t at, const std::vector<int32_t>& ids) {
    const auto pos = static_cast<std::ptrdiff_t>(at);
    const size_t n = ids.size();
    seq.ids.insert(seq.ids.begin() + pos, ids.begin(), ids.end());
    seq.offsets.insert(seq.offsets.begin() + pos, n, {0, 0});
    seq.special.insert(seq.special.begin() + pos, n, 1);
    seq.word_ids.insert(seq.word_ids.begin() + pos, n, -1);
    seq.spaces.insert(seq.spaces.begin() + pos, n, {0, 0});
  };
  insert(0, front);
  insert(seq.size(), back);
}

// {"cls": ["<s>", 0]} -> 0
int32_t pair_id(const json& j, const char* key, const std::string& where) {
  const json& v = js::require(j, key, where);
  if (!v.is_array() || v.size() != 2 || !v[0].is_string() || !v[1].is_number_integer() ||
      v[1].get<int64_t>() < 0)
    throw InputError(where + "." + key + ": expected [\"token\", id], found " + v.dump().substr(0, 80));
  return v[1].get<int32_t>();
}

class BertProc final : public PostProcessor {
 public:
  BertProc(int32_t cls, int32_t sep) : cls_(cls), sep_(sep) {}
  void process(TokenSeq& seq, bool add) const override {
    if (add) wrap(seq, {cls_}, {sep_});
  }
  std::pair<int32_t, int32_t> wrapping_ids() const override { return {cls_, sep_}; }

 private:
  int32_t cls_, sep_;
};

class RobertaProc final : public PostProcessor {
 public:
  RobertaProc(int32_t cls, int32_t sep, bool trim, bool prefix)
      : cls_(cls), sep_(sep), trim_(trim), prefix_(prefix) {}
  void process(TokenSeq& seq, bool add) const override {
    if (trim_) trim_offsets(seq, prefix_);
    if (add) wrap(seq, {cls_}, {sep_});
  }
  bool trims_offsets() const override { return trim_; }
  std::pair<int32_t, int32_t> wrapping_ids() const override { return {cls_, sep_}; }

 private:
  int32_t cls_, sep_;
  bool trim_, prefix_;
};

class ByteLevelProc final : public PostProcessor {
 public:
  ByteLevelProc(bool trim, bool prefix) : trim_(trim), prefix_(prefix) {}
  void process(TokenSeq& seq, bool) const override {
    if (trim_) trim_offsets(seq, prefix_);
  }
  bool trims_offsets() const override { return trim_; }

 private:
  bool trim_, prefix_;
};

// The single-sequence template: special tokens (each possibly several ids) around $A.
class TemplateProc final : public PostProcessor {
 public:
  TemplateProc(std::vector<int32_t> front, std::vector<int32_t> back)
      : front_(std::move(front)), back_(std::move(back)) {}
  void process(TokenSeq& seq, bool add) const override {
    if (add) wrap(seq, front_, back_);
  }
  std::pair<int32_t, int32_t> wrapping_ids() const override {
    return {front_.size() == 1 ? front_[0] : -1, back_.size() == 1 ? back_[0] : -1};
  }

 private:
  std::vector<int32_t> front_, back_;
};

class SequenceProc final : public PostProcessor {
 public:
  explicit SequenceProc(std::vector<std::unique_ptr<PostProcessor>> steps) : steps_(std::move(steps)) {}
  void process(TokenSeq& seq, bool add) const override {
    for (const auto& p : steps_) p->process(seq, add);
  }
  bool trims_offsets() const override {
    for (const auto& p : steps_)
      if (p->trims_offsets()) return true;
    return false;
  }
  std::pair<int32_t, int32_t> wrapping_ids() const override {
    std::pair<int32_t, int32_t> ids{-1, -1};
    for (const auto& p : steps_) {
      const auto w = p->wrapping_ids();
      if (w.first >= 0) ids.first = w.first;
      if (w.second >= 0) ids.second = w.second;
    }
    return ids;
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> steps_;
};

std::unique_ptr<PostProcessor> parse_template(const json& j, const std::string& where) {
  js::check_keys(j, where, {"single", "pair", "special_tokens"});
  const json& specials = js::require(j, "special_tokens", where);
  if (!specials.is_object()) throw InputError(where + ".special_tokens: expected an object");
  const auto ids_of = [&](const std::string& name, const std::string& at) {
    if (!specials.contains(name))
      throw InputError(at + ": the template names special token '" + name +
                       "', which " + where + ".special_tokens does not define");
    const json& t = specials[name];
    const std::string tw = where + ".special_tokens[\"" + name + "\"]";
    const json& ids = js::require(t, "ids", tw);
    if (!ids.is_array() || ids.empty())
      throw InputError(tw + ".ids: expected a non-empty array of ids");
    std::vector<int32_t> out;
    for (const json& id : ids) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0)
        throw InputError(tw + ".ids: expected non-negative ids, found " + id.dump());
      out.push_back(id.get<int32_t>());
    }
    return out;
  };
  for (const char* key : {"single", "pair"}) {
    if (!j.contains(key)) continue;
    const json& t = j[key];
    if (!t.is_array()) throw InputError(where + "." + key + ": expected an array of pieces");
  }
  const json& single = js::require(j, "single", where);
  std::vector<int32_t> front, back;
  bool seen_a = false;
  for (size_t i = 0; i < single.size(); ++i) {
    const json& piece = single[i];
    const std::string pw = where + ".single[" + std::to_string(i) + "]";
    if (piece.is_object() && piece.contains("SpecialToken")) {
      const std::string name = js::get_string(piece["SpecialToken"], "id", "", pw);
      const auto ids = ids_of(name, pw);
      (seen_a ? back : front).insert((seen_a ? back : front).end(), ids.begin(), ids.end());
    } else if (piece.is_object() && piece.contains("Sequence")) {
      const std::string id = js::get_string(piece["Sequence"], "id", "", pw);
      if (id != "A")
        throw InputError(pw + ": a single-sequence template can only hold sequence A, found '" + id + "'");
      if (seen_a) throw InputError(pw + ": sequence A appears twice");
      seen_a = true;
    } else {
      throw InputError(pw + ": expected {\"SpecialToken\": ...} or {\"Sequence\": ...}, found " +
                       piece.dump().substr(0, 80));
    }
  }
  if (!seen_a) throw InputError(where + ".single: the template has no $A");
  if (j.contains("pair"))  // checked as tokenizers checks it, though only single is used
    for (size_t i = 0; i < j["pair"].size(); ++i) {
      const json& piece = j["pair"][i];
      const std::string pw = where + ".pair[" + std::to_string(i) + "]";
      if (piece.is_object() && piece.contains("SpecialToken")) {
        ids_of(js::get_string(piece["SpecialToken"], "id", "", pw), pw);
      } else if (piece.is_object() && piece.contains("Sequence")) {
        const std::string id = js::get_string(piece["Sequence"], "id", "", pw);
        if (id != "A" && id != "B") throw InputError(pw + ": expected sequence A or B, found '" + id + "'");
      } else {
        throw InputError(pw + ": expected {\"SpecialToken\": ...} or {\"Sequence\": ...}, found " +
                         piece.dump().substr(0, 80));
      }
    }
  return std::make_unique<TemplateProc>(std::move(front), std::move(back));
}

}  // namespace

std::pair<uint16_t, uint16_t> token_spaces(std::u32string_view token) {
  const char32_t g = byte_level_char(' ');
  const auto space = [&](char32_t c) { return c == g || (unicode::flags(c) & unicode::kSplitSpace); };
  uint16_t lead = 0, trail = 0;
  while (lead < token.size() && space(token[lead])) ++lead;
  while (trail < token.size() && space(token[token.size() - 1 - trail])) ++trail;
  return {lead, trail};
}

std::unique_ptr<PostProcessor> parse_post_processor(const json& j, const std::string& where) {
  if (j.is_null()) return nullptr;
  const std::string type = js::type_of(j, where);
  if (type == "BertProcessing") {
    js::check_keys(j, where, {"cls", "sep"});
    return std::make_unique<BertProc>(pair_id(j, "cls", where), pair_id(j, "sep", where));
  }
  if (type == "RobertaProcessing") {
    js::check_keys(j, where, {"cls", "sep", "trim_offsets", "add_prefix_space"});
    return std::make_unique<RobertaProc>(pair_id(j, "cls", where), pair_id(j, "sep", where),
                                         js::get_bool(j, "trim_offsets", true, where),
                                         js::get_bool(j, "add_prefix_space", true, where));
  }
  if (type == "ByteLevel") {
    js::check_keys(j, where, {"add_prefix_space", "trim_offsets", "use_regex"});
    return std::make_unique<ByteLevelProc>(js::get_bool(j, "trim_offsets", true, where),
                                           js::get_bool(j, "add_prefix_space", true, where));
  }
  if (type == "TemplateProcessing") return parse_template(j, where);
  if (type == "Sequence")
    return std::make_unique<SequenceProc>(js::parse_list<PostProcessor>(j, "processors", where, parse_post_processor));
  js::unsupported_type(type, where,
                       "BertProcessing, RobertaProcessing, TemplateProcessing, ByteLevel, Sequence");
}

}  // namespace triage::data
