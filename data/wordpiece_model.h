// The WordPiece model (tokenizers' models/wordpiece): greedy longest match from the start
// of a word, pieces after the first looked up with the continuing-subword prefix; a word
// longer than max_input_chars_per_word, or one that some position cannot continue, is one
// unk token. Used by WordPieceTokenizer (BERT's fixed stages) and by the tokenizer.json
// pipeline. Torch-free.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "data/subword_model.h"
#include "data/vocab_map.h"

namespace triage::data {

class WordPieceModel final : public SubwordModel {
 public:
  // vocab[i] is the token with id i; InputError on a duplicate token.
  WordPieceModel(std::vector<std::string> vocab, std::string unk_token, std::string continuing_subword_prefix,
                 int max_input_chars_per_word);
  // The "model" object of a tokenizer.json with "type": "WordPiece"; `where` is its JSON
  // path with the file.
  static std::unique_ptr<WordPieceModel> from_json(const nlohmann::json& model, const std::string& where);

  void tokenize(std::string_view piece, std::vector<PieceToken>& out) const override;
  // The same for a word whose characters start at byte char_bytes[k] (k < nchars;
  // char_bytes[nchars] == word.size()). InputError when the unk token is needed and absent.
  void tokenize(std::string_view word, const uint32_t* char_bytes, size_t nchars, std::vector<PieceToken>& out) const;

  int32_t token_to_id(std::string_view token) const override { return ids_.find(token); }
  const std::string& id_to_token(int32_t id) const override { return vocab_[static_cast<size_t>(id)]; }
  int32_t vocab_size() const override { return static_cast<int32_t>(vocab_.size()); }
  std::string unk_token() const override { return unk_token_; }
  const std::vector<std::string>& vocab() const { return vocab_; }

 private:
  std::vector<std::string> vocab_;
  VocabMap ids_;           // token -> id
  VocabMap continuation_;  // token without the prefix -> id, for tokens with the prefix
  std::string unk_token_;
  std::string prefix_;
  int max_chars_;
};

}  // namespace triage::data
