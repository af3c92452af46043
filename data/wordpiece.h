// WordPiece tokenizer identical to Hugging Face BertTokenizerFast: added tokens matched in
// the raw text, BertNormalizer, BertPreTokenizer (split on whitespace, isolate punctuation),
// greedy longest-match WordPiece with a continuing-subword prefix; offsets in code points.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "data/added_tokens.h"
#include "data/bert_normalizer.h"
#include "data/tokenizer.h"
#include "data/wordpiece_model.h"

namespace triage::data {

struct WordPieceOptions {
  BertNormalizerOptions normalizer;
  std::string unk_token = "[UNK]";
  std::string continuing_subword_prefix = "##";
  int max_input_chars_per_word = 100;  // longer words become a single unk token
  std::string cls_token = "[CLS]";
  std::string sep_token = "[SEP]";
  std::string pad_token = "[PAD]";
  std::string mask_token = "[MASK]";
  int64_t model_max_length = 512;  // written to tokenizer_config.json by save()
};

class WordPieceTokenizer final : public Tokenizer {
 public:
  // vocab[i] is the token with id i. added: tokens matched in the text before WordPiece
  // (the special tokens at least); their ids must be < vocab.size(). Throws InputError on a
  // duplicate token.
  WordPieceTokenizer(std::vector<std::string> vocab, WordPieceOptions options,
                     std::vector<AddedToken> added);

  // A directory with tokenizer.json (WordPiece model), or vocab.txt (+ tokenizer_config.json,
  // special_tokens_map.json). Throws InputError naming the file and what is wrong.
  static std::unique_ptr<WordPieceTokenizer> from_tokenizer_json(const std::filesystem::path& file);
  static std::unique_ptr<WordPieceTokenizer> from_vocab_txt(const std::filesystem::path& dir);

  Encoding encode(std::string_view utf8, bool add_special_tokens = true) const override;
  int32_t vocab_size() const override { return model_.vocab_size(); }
  int32_t token_to_id(std::string_view token) const override { return model_.token_to_id(token); }
  std::string id_to_token(int32_t id) const override;
  const SpecialTokens& special() const override { return special_; }
  std::string kind() const override { return "wordpiece"; }
  void save(const std::filesystem::path& dir) const override;

  const WordPieceOptions& options() const { return options_; }
  const std::vector<AddedToken>& added_tokens() const { return added_; }
  // The tokenizer.json that save() writes (HF tokenizers format).
  std::string to_tokenizer_json() const;

 private:
  struct Scratch;
  void encode_words(Scratch& s, size_t begin, size_t end, Encoding& out) const;
  void wordpiece(Scratch& s, size_t word_begin, size_t word_end, Encoding& out) const;

  WordPieceModel model_;
  WordPieceOptions options_;
  std::vector<AddedToken> added_;
  AddedTokenMatcher raw_matcher_;         // normalized == false
  AddedTokenMatcher normalized_matcher_;  // normalized == true, patterns normalized
  SpecialTokens special_;
};

}  // namespace triage::data
