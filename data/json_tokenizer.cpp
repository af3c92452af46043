// The tokenizer.json pipeline (see json_tokenizer.h), after tokenizers' TokenizerImpl::
// encode_single_sequence and AddedVocabulary::extract_and_normalize.
#include "data/json_tokenizer.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file_io.h"
#include "data/json_stage.h"
#include "data/special_token_names.h"
#include "data/utf8.h"
#include "data/vocab_map.h"

namespace triage::data {
namespace fs = std::filesystem;
using nlohmann::json;
namespace js = json_stage;

struct JsonTokenizer::Scratch {
  std::vector<char32_t> cps;
  std::vector<TokenMatch> matches;
  std::vector<TokenMatch> norm_matches;
  AlignedText segment;
  PreTokenized pre;
  std::vector<PieceToken> pieces;
  std::string piece_utf8;
  TokenSeq seq;
};

namespace {

std::u32string decode32(const std::string& s) {
  std::vector<char32_t> cps;
  utf8::decode(s, cps);
  return std::u32string(cps.begin(), cps.end());
}

std::string read_if_exists(const fs::path& file) {
  return fs::is_regular_file(file) ? read_file(file) : std::string();
}

}  // namespace

std::unique_ptr<JsonTokenizer> JsonTokenizer::from_file(const fs::path& file) {
  return from_string(read_file(file), file.string(), file.parent_path());
}

std::unique_ptr<JsonTokenizer> JsonTokenizer::from_string(std::string text, const std::string& file,
                                                          const fs::path& dir) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers past double's range
    throw InputError(file + ": not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object() || !j.contains("model"))
    throw InputError(file + ": expected a tokenizers tokenizer.json object with a 'model'");
  const std::string at = file + ": ";
  for (auto it = j.begin(); it != j.end(); ++it) {
    static const char* known[] = {"version", "truncation", "padding", "added_tokens", "normalizer",
                                  "pre_tokenizer", "post_processor", "decoder", "model"};
    bool ok = false;
    for (const char* k : known) ok = ok || it.key() == k;
    if (!ok)
      throw InputError(at + "unknown top-level key '" + it.key() +
                       "' (supported: version, truncation, padding, added_tokens, normalizer, "
                       "pre_tokenizer, post_processor, decoder, model)");
  }
  std::unique_ptr<JsonTokenizer> t(new JsonTokenizer());
  t->json_text_ = std::move(text);
  t->config_json_ = read_if_exists(dir / "tokenizer_config.json");
  t->special_map_json_ = read_if_exists(dir / "special_tokens_map.json");
  t->model_ = parse_model(j["model"], at + "model");
  t->normalizer_ = parse_normalizer(j.value("normalizer", json()), at + "normalizer");
  t->pre_tokenizer_ = parse_pre_tokenizer(j.value("pre_tokenizer", json()), at + "pre_tokenizer");
  t->post_processor_ = parse_post_processor(j.value("post_processor", json()), at + "post_processor");

  const SubwordModel& model = *t->model_;
  t->vocab_.reserve(static_cast<size_t>(model.vocab_size()));
  for (int32_t i = 0; i < model.vocab_size(); ++i) t->vocab_.push_back(model.id_to_token(i));

  // added tokens: ids in the model vocabulary must name the same token; the others extend it
  const json added = j.value("added_tokens", json::array());
  if (!added.is_array()) throw InputError(at + "added_tokens: expected an array");
  std::vector<std::u32string> raw_patterns, norm_patterns;
  std::vector<AddedToken> raw_tokens, norm_tokens;
  std::vector<uint8_t> taken;
  for (size_t i = 0; i < added.size(); ++i) {
    const json& a = added[i];
    const std::string w = at + "added_tokens[" + std::to_string(i) + "]";
    if (!a.is_object()) throw InputError(w + ": expected an object");
    js::check_keys(a, w, {"id", "content", "single_word", "lstrip", "rstrip", "normalized", "special"});
    AddedToken tok;
    const json& id = js::require(a, "id", w);
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > (1 << 30))
      throw InputError(w + ".id: expected a non-negative id, found " + id.dump());
    tok.id = id.get<int32_t>();
    tok.content = js::get_string(a, "content", "", w);
    if (tok.content.empty()) throw InputError(w + ".content: missing or empty");
    if (!utf8::valid(tok.content)) throw InputError(w + ".content: not valid UTF-8");
    tok.special = js::get_bool(a, "special", false, w);
    tok.single_word = js::get_bool(a, "single_word", false, w);
    tok.lstrip = js::get_bool(a, "lstrip", false, w);
    tok.rstrip = js::get_bool(a, "rstrip", false, w);
    tok.normalized = js::get_bool(a, "normalized", !tok.special, w);
    const int32_t in_model = model.token_to_id(tok.content);
    if (in_model >= 0 && in_model != tok.id)
      throw InputError(w + ": '" + tok.content + "' has id " + std::to_string(tok.id) +
                       " but the model vocabulary gives it id " + std::to_string(in_model));
    if (tok.id < model.vocab_size()) {
      if (model.id_to_token(tok.id) != tok.content)
        throw InputError(w + ": id " + std::to_string(tok.id) + " is '" + model.id_to_token(tok.id) +
                         "' in the model vocabulary, not '" + tok.content + "'");
    } else {
      if (static_cast<size_t>(tok.id) >= t->vocab_.size()) {
        t->vocab_.resize(static_cast<size_t>(tok.id) + 1);
        taken.resize(t->vocab_.size());
      }
      if (taken[static_cast<size_t>(tok.id)])
        throw InputError(w + ": id " + std::to_string(tok.id) + " is given to both '" +
                         t->vocab_[static_cast<size_t>(tok.id)] + "' and '" + tok.content + "'");
      taken[static_cast<size_t>(tok.id)] = 1;
      t->vocab_[static_cast<size_t>(tok.id)] = tok.content;
    }
    std::u32string pattern = decode32(tok.content);
    if (tok.normalized) {
      if (t->normalizer_) {
        AlignedText n;
        for (char32_t c : pattern) n.push(c, {0, 0});
        t->normalizer_->normalize(n);
        pattern = n.chars;
      }
      norm_patterns.push_back(std::move(pattern));
      norm_tokens.push_back(tok);
    } else {
      raw_patterns.push_back(std::move(pattern));
      raw_tokens.push_back(tok);
    }
    t->added_.push_back(std::move(tok));
  }
  for (size_t i = static_cast<size_t>(model.vocab_size()); i < t->vocab_.size(); ++i)
    if (!taken[i])
      throw InputError(at + "added_tokens: no token has id " + std::to_string(i) + " (the model has " +
                       std::to_string(model.vocab_size()) + " and added tokens go up to " +
                       std::to_string(t->vocab_.size() - 1) + ")");
  t->raw_matcher_ = AddedTokenMatcher(std::move(raw_patterns), std::move(raw_tokens));
  t->normalized_matcher_ = AddedTokenMatcher(std::move(norm_patterns), std::move(norm_tokens));

  if (t->post_processor_) {  // the ids it puts around a sequence must be tokens
    TokenSeq around;
    t->post_processor_->process(around, true);
    for (const int32_t id : around.ids)
      if (id < 0 || static_cast<size_t>(id) >= t->vocab_.size())
        throw InputError(at + "post_processor: special token id " + std::to_string(id) +
                         " is outside the vocabulary (" + std::to_string(t->vocab_.size()) +
                         " tokens, added tokens included)");
  }
  t->token_spaces_.reserve(t->vocab_.size());
  for (const std::string& tok : t->vocab_) t->token_spaces_.push_back(token_spaces(decode32(tok)));

  // special tokens: what the post-processor wraps a sequence in, else the configs' names
  const SpecialTokenNames names = read_special_token_names(dir);
  const auto id_of = [&](const std::optional<std::string>& name, std::initializer_list<const char*> fallbacks) {
    if (name) return t->token_to_id(*name);
    for (const char* f : fallbacks)
      if (const int32_t id = t->token_to_id(f); id >= 0) return id;
    return -1;
  };
  const auto wrapping = t->post_processor_ ? t->post_processor_->wrapping_ids() : std::pair{-1, -1};
  t->special_.cls = wrapping.first >= 0 ? wrapping.first : id_of(names.cls, {});
  t->special_.sep = wrapping.second >= 0 ? wrapping.second : id_of(names.sep, {});
  t->special_.unk = names.unk ? t->token_to_id(*names.unk) : t->token_to_id(model.unk_token());
  t->special_.pad = id_of(names.pad, {"<pad>", "[PAD]"});
  t->special_.mask = id_of(names.mask, {"<mask>", "[MASK]"});
  return t;
}

int32_t JsonTokenizer::token_to_id(std::string_view token) const {
  if (token.empty()) return -1;
  const int32_t id = model_->token_to_id(token);
  if (id >= 0) return id;
  for (const AddedToken& a : added_)
    if (a.content == token) return a.id;
  return -1;
}

std::string JsonTokenizer::id_to_token(int32_t id) const {
  if (id < 0 || id >= vocab_size())
    throw InputError("token id " + std::to_string(id) + " is outside the vocabulary of " +
                     std::to_string(vocab_size()));
  return vocab_[static_cast<size_t>(id)];
}

// Normalizes cps[begin, end), then splits off the added tokens matched in the normalized text.
void JsonTokenizer::add_segment(Scratch& s, size_t begin, size_t end) const {
  if (begin >= end) return;
  AlignedText& seg = s.segment;
  seg.clear();
  for (size_t i = begin; i < end; ++i) seg.push(s.cps[i], {static_cast<uint32_t>(i), static_cast<uint32_t>(i + 1)});
  if (normalizer_) normalizer_->normalize(seg);
  if (seg.empty()) return;
  PreTokenized& pre = s.pre;
  const auto add = [&](size_t b, size_t e, int32_t id) {
    if (b >= e) return;
    const auto at = static_cast<uint32_t>(pre.text.size());
    pre.text.append(seg, b, e);
    pre.splits.push_back({at, static_cast<uint32_t>(pre.text.size()), id});
  };
  s.norm_matches.clear();
  normalized_matcher_.find(seg.chars.data(), seg.size(), s.norm_matches);
  size_t pos = 0;
  for (const TokenMatch& m : s.norm_matches) {
    add(pos, m.begin, -1);
    add(m.begin, m.end, m.id);
    pos = m.end;
  }
  add(pos, seg.size(), -1);
}

void JsonTokenizer::tokenize_into(std::string_view text, int32_t word, Scratch& s) const {
  utf8::decode(text, s.cps);
  s.pre.clear();
  s.matches.clear();
  raw_matcher_.find(s.cps.data(), s.cps.size(), s.matches);
  size_t pos = 0;
  for (const TokenMatch& m : s.matches) {
    add_segment(s, pos, m.begin);
    const auto at = static_cast<uint32_t>(s.pre.text.size());
    for (size_t i = m.begin; i < m.end; ++i)
      s.pre.text.push(s.cps[i], {static_cast<uint32_t>(i), static_cast<uint32_t>(i + 1)});
    s.pre.splits.push_back({at, static_cast<uint32_t>(s.pre.text.size()), m.id});
    pos = m.end;
  }
  add_segment(s, pos, s.cps.size());
  if (pre_tokenizer_) pre_tokenizer_->pre_tokenize(s.pre);

  TokenSeq& seq = s.seq;
  const AlignedText& t = s.pre.text;
  const auto push = [&](int32_t id, CharRange32 offsets, int32_t w, std::pair<uint16_t, uint16_t> spaces) {
    seq.ids.push_back(id);
    seq.offsets.emplace_back(static_cast<int32_t>(offsets.first), static_cast<int32_t>(offsets.second));
    seq.special.push_back(0);
    seq.word_ids.push_back(w);
    seq.spaces.push_back(spaces);
  };
  for (size_t k = 0; k < s.pre.splits.size(); ++k) {
    const Split& sp = s.pre.splits[k];
    const int32_t w = word >= 0 ? word : static_cast<int32_t>(k);
    if (sp.added_id >= 0) {
      push(sp.added_id, t.original(sp.begin, sp.end), w,
           token_spaces(std::u32string_view(t.chars).substr(sp.begin, sp.end - sp.begin)));
      continue;
    }
    s.piece_utf8.clear();
    for (uint32_t i = sp.begin; i < sp.end; ++i) utf8::append(s.piece_utf8, t.chars[i]);
    s.pieces.clear();
    model_->tokenize(s.piece_utf8, s.pieces);
    for (const PieceToken& p : s.pieces)
      push(p.id, t.original(sp.begin + p.begin, sp.begin + p.end), w,
           token_spaces_[static_cast<size_t>(p.id)]);
  }
}

Encoding JsonTokenizer::finish(Scratch& s, bool add_special_tokens, std::vector<int32_t>& word_ids) const {
  if (post_processor_) post_processor_->process(s.seq, add_special_tokens);
  Encoding out;
  out.ids = s.seq.ids;
  out.offsets = s.seq.offsets;
  out.special = s.seq.special;
  word_ids = s.seq.word_ids;
  return out;
}

Encoding JsonTokenizer::encode_with_words(std::string_view text, bool add_special_tokens,
                                          std::vector<int32_t>& word_ids) const {
  thread_local Scratch s;
  s.seq.clear();
  tokenize_into(text, -1, s);
  return finish(s, add_special_tokens, word_ids);
}

Encoding JsonTokenizer::encode_words(const std::vector<std::string>& words, bool add_special_tokens,
                                     std::vector<int32_t>& word_ids) const {
  if (pre_tokenizer_ && pre_tokenizer_->byte_level_prefix_space() == false)
    throw InputError(
        "this tokenizer's ByteLevel pre-tokenizer has add_prefix_space false, and pre-split words "
        "need it true (each word would be encoded as if it started the text; transformers refuses "
        "is_split_into_words for RoBERTa-style tokenizers for the same reason): set "
        "\"add_prefix_space\": true in pre_tokenizer and post_processor of tokenizer.json");
  thread_local Scratch s;
  s.seq.clear();
  for (size_t i = 0; i < words.size(); ++i) tokenize_into(words[i], static_cast<int32_t>(i), s);
  return finish(s, add_special_tokens, word_ids);
}

bool JsonTokenizer::encode_pre_split(const std::vector<std::string>& words, bool add_special_tokens, Encoding& out,
                                     std::vector<int32_t>& word_ids) const {
  if (pre_tokenizer_ && pre_tokenizer_->byte_level_prefix_space() == false) return false;
  out = encode_words(words, add_special_tokens, word_ids);
  return true;
}

Encoding JsonTokenizer::encode(std::string_view text, bool add_special_tokens) const {
  thread_local std::vector<int32_t> words;
  return encode_with_words(text, add_special_tokens, words);
}

void JsonTokenizer::save(const fs::path& dir) const {
  fs::create_directories(dir);
  write_file_atomic(dir / "tokenizer.json", json_text_);
  if (!special_map_json_.empty()) write_file_atomic(dir / "special_tokens_map.json", special_map_json_);
  if (!config_json_.empty()) {
    write_file_atomic(dir / "tokenizer_config.json", config_json_);
    return;
  }
  // Only added tokens are named: transformers adds every named special token to the
  // tokenizer, which would change how a plain vocabulary entry such as "<mask>" is split.
  json config = {{"tokenizer_class", "PreTrainedTokenizerFast"}};
  const auto name = [&](const char* key, int32_t id) {
    for (const AddedToken& a : added_)
      if (id >= 0 && a.id == id) config[key] = a.content;
  };
  name("cls_token", special_.cls);
  name("sep_token", special_.sep);
  name("unk_token", special_.unk);
  name("pad_token", special_.pad);
  name("mask_token", special_.mask);
  write_file_atomic(dir / "tokenizer_config.json", config.dump(2) + "\n");
}

}  // namespace triage::data
