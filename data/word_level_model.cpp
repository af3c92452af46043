// The tokenizer.json WordLevel model (see word_level_model.h).
#include "data/word_level_model.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/json_stage.h"
#include "data/utf8.h"

namespace triage::data {

WordLevelModel::WordLevelModel(std::vector<std::string> vocab, std::string unk_token, std::string where)
    : vocab_(std::move(vocab)), unk_token_(std::move(unk_token)), where_(std::move(where)) {
  for (size_t id = 0; id < vocab_.size(); ++id) ids_.insert(vocab_[id], static_cast<int32_t>(id));
}

std::unique_ptr<WordLevelModel> WordLevelModel::from_json(const nlohmann::json& m, const std::string& where) {
  json_stage::check_keys(m, where, {"vocab", "unk_token"});
  return std::make_unique<WordLevelModel>(
      json_stage::vocab_by_id(json_stage::require(m, "vocab", where), where + ".vocab"),
      json_stage::get_string(m, "unk_token", "<unk>", where), where);
}

void WordLevelModel::tokenize(std::string_view piece, std::vector<PieceToken>& out) const {
  int32_t id = ids_.find(piece);
  if (id < 0) id = ids_.find(unk_token_);
  if (id < 0)
    throw InputError(where_ + ": '" + std::string(piece.substr(0, 40)) + "' is not in the vocabulary and neither is " +
                     "the unk token '" + unk_token_ + "'");
  size_t chars = 0;
  for (size_t i = 0; i < piece.size(); i += utf8::sequence_length(static_cast<unsigned char>(piece[i]))) ++chars;
  out.push_back({id, 0, static_cast<uint32_t>(chars)});
}

}  // namespace triage::data
