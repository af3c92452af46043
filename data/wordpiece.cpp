// WordPiece encoding (see wordpiece.h): added-token split, normalization, pre-tokenization
// and greedy longest-match (wordpiece_model.h), with thread-local scratch buffers so encode()
// allocates only its result.
#include "data/wordpiece.h"

#include "core/error.h"
#include "data/unicode/tables.h"
#include "data/utf8.h"

namespace triage::data {

struct WordPieceTokenizer::Scratch {
  std::vector<char32_t> cps;          // the input, decoded
  std::vector<TokenMatch> matches;    // added tokens in the raw text
  std::vector<NormChar> norm;         // normalized segment
  std::vector<char32_t> norm_cps;     // its code points (normalized added tokens only)
  std::vector<TokenMatch> norm_matches;
  std::string word;                   // UTF-8 of the current word
  std::vector<uint32_t> char_bytes;   // byte offset of each char of word, then word.size()
  std::vector<PieceToken> pieces;     // the word's WordPiece tokens
};

WordPieceTokenizer::WordPieceTokenizer(std::vector<std::string> vocab, WordPieceOptions options,
                                       std::vector<AddedToken> added)
    : model_(std::move(vocab), options.unk_token, options.continuing_subword_prefix,
             options.max_input_chars_per_word),
      options_(std::move(options)),
      added_(std::move(added)) {

  std::vector<std::u32string> raw_patterns, norm_patterns;
  std::vector<AddedToken> raw_tokens, norm_tokens;
  std::vector<char32_t> cps;
  for (const AddedToken& t : added_) {
    if (t.id < 0 || t.id >= model_.vocab_size())
      throw InputError("added token '" + t.content + "' has id " + std::to_string(t.id) +
                       ", outside the vocabulary of " + std::to_string(model_.vocab_size()));
    utf8::decode(t.content, cps);
    std::u32string pattern(cps.begin(), cps.end());
    if (t.normalized) {
      norm_patterns.push_back(bert_normalize(options_.normalizer, pattern));
      norm_tokens.push_back(t);
    } else {
      raw_patterns.push_back(std::move(pattern));
      raw_tokens.push_back(t);
    }
  }
  raw_matcher_ = AddedTokenMatcher(std::move(raw_patterns), std::move(raw_tokens));
  normalized_matcher_ = AddedTokenMatcher(std::move(norm_patterns), std::move(norm_tokens));

  special_.pad = model_.token_to_id(options_.pad_token);
  special_.unk = model_.token_to_id(options_.unk_token);
  special_.cls = model_.token_to_id(options_.cls_token);
  special_.sep = model_.token_to_id(options_.sep_token);
  special_.mask = model_.token_to_id(options_.mask_token);
}

std::string WordPieceTokenizer::id_to_token(int32_t id) const {
  if (id < 0 || id >= model_.vocab_size())
    throw InputError("token id " + std::to_string(id) + " is outside the vocabulary of " +
                     std::to_string(model_.vocab_size()));
  return model_.id_to_token(id);
}

Encoding WordPieceTokenizer::encode(std::string_view utf8_text, bool add_special_tokens) const {
  thread_local Scratch s;
  utf8::decode(utf8_text, s.cps);
  Encoding out;
  const size_t guess = s.cps.size() / 3 + 4;
  out.ids.reserve(guess);
  out.offsets.reserve(guess);
  out.special.reserve(guess);
  if (add_special_tokens && special_.cls >= 0) {
    out.ids.push_back(special_.cls);
    out.offsets.emplace_back(0, 0);
    out.special.push_back(1);
  }
  s.matches.clear();
  raw_matcher_.find(s.cps.data(), s.cps.size(), s.matches);
  size_t pos = 0;
  for (const TokenMatch& m : s.matches) {
    encode_words(s, pos, m.begin, out);
    out.ids.push_back(m.id);
    out.offsets.emplace_back(static_cast<int32_t>(m.begin), static_cast<int32_t>(m.end));
    out.special.push_back(0);
    pos = m.end;
  }
  encode_words(s, pos, s.cps.size(), out);
  if (add_special_tokens && special_.sep >= 0) {
    out.ids.push_back(special_.sep);
    out.offsets.emplace_back(0, 0);
    out.special.push_back(1);
  }
  return out;
}

// Normalizes cps[begin, end), splits it into words and runs WordPiece on each.
void WordPieceTokenizer::encode_words(Scratch& s, size_t begin, size_t end, Encoding& out) const {
  if (begin >= end) return;
  s.norm.clear();
  bert_normalize(options_.normalizer, s.cps.data(), begin, end, s.norm);

  auto pre_tokenize = [&](size_t lo, size_t hi) {
    size_t word_begin = lo;
    for (size_t k = lo; k < hi; ++k) {
      const uint8_t f = unicode::flags(s.norm[k].cp);
      if (f & (unicode::kSplitSpace | unicode::kPunct)) {
        if (word_begin < k) wordpiece(s, word_begin, k, out);
        if (f & unicode::kPunct) wordpiece(s, k, k + 1, out);
        word_begin = k + 1;
      }
    }
    if (word_begin < hi) wordpiece(s, word_begin, hi, out);
  };

  if (normalized_matcher_.empty()) {
    pre_tokenize(0, s.norm.size());
    return;
  }
  s.norm_cps.clear();
  for (const NormChar& c : s.norm) s.norm_cps.push_back(c.cp);
  s.norm_matches.clear();
  normalized_matcher_.find(s.norm_cps.data(), s.norm_cps.size(), s.norm_matches);
  size_t pos = 0;
  for (const TokenMatch& m : s.norm_matches) {
    pre_tokenize(pos, m.begin);
    out.ids.push_back(m.id);
    out.offsets.emplace_back(s.norm[m.begin].orig, s.norm[m.end - 1].orig + 1);
    out.special.push_back(0);
    pos = m.end;
  }
  pre_tokenize(pos, s.norm.size());
}

// WordPiece over the normalized chars norm[wb, we) (one pre-token); offsets map back
// through norm[].orig.
void WordPieceTokenizer::wordpiece(Scratch& s, size_t wb, size_t we, Encoding& out) const {
  s.word.clear();
  s.char_bytes.clear();
  for (size_t k = wb; k < we; ++k) {
    s.char_bytes.push_back(static_cast<uint32_t>(s.word.size()));
    utf8::append(s.word, s.norm[k].cp);
  }
  s.char_bytes.push_back(static_cast<uint32_t>(s.word.size()));
  s.pieces.clear();
  model_.tokenize(s.word, s.char_bytes.data(), we - wb, s.pieces);
  for (const PieceToken& p : s.pieces) {
    out.ids.push_back(p.id);
    out.offsets.emplace_back(s.norm[wb + p.begin].orig, s.norm[wb + p.end - 1].orig + 1);
    out.special.push_back(0);
  }
}

}  // namespace triage::data
