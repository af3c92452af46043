// The WordLevel model of a tokenizer.json (tokenizers' models/wordlevel): each piece is one
// token, its vocabulary id or the unk token's. Torch-free.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "data/subword_model.h"
#include "data/vocab_map.h"

namespace triage::data {

class WordLevelModel final : public SubwordModel {
 public:
  // vocab[i] is the token with id i.
  WordLevelModel(std::vector<std::string> vocab, std::string unk_token, std::string where);
  // The "model" object of a tokenizer.json with "type": "WordLevel" (unk_token "<unk>" when
  // absent, as in tokenizers); `where` is its JSON path with the file.
  static std::unique_ptr<WordLevelModel> from_json(const nlohmann::json& model, const std::string& where);

  // InputError when the piece is not in the vocabulary and neither is the unk token.
  void tokenize(std::string_view piece, std::vector<PieceToken>& out) const override;
  int32_t token_to_id(std::string_view token) const override { return ids_.find(token); }
  const std::string& id_to_token(int32_t id) const override { return vocab_[static_cast<size_t>(id)]; }
  int32_t vocab_size() const override { return static_cast<int32_t>(vocab_.size()); }
  std::string unk_token() const override { return unk_token_; }

 private:
  std::vector<std::string> vocab_;
  VocabMap ids_;
  std::string unk_token_;
  std::string where_;
};

}  // namespace triage::data
