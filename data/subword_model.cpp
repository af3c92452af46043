// The tokenizer.json model stage (see subword_model.h).
#include "data/subword_model.h"

#include <nlohmann/json.hpp>

#include "data/bpe.h"
#include "data/json_stage.h"
#include "data/unigram_model.h"
#include "data/word_level_model.h"
#include "data/wordpiece_model.h"

namespace triage::data {

std::unique_ptr<SubwordModel> parse_model(const nlohmann::json& j, const std::string& where) {
  const std::string type = json_stage::type_of(j, where);
  if (type == "BPE") return std::make_unique<BpeModel>(BpeModel::from_json(j, where));
  if (type == "WordPiece") return WordPieceModel::from_json(j, where);
  if (type == "Unigram") return UnigramModel::from_json(j, where);
  if (type == "WordLevel") return WordLevelModel::from_json(j, where);
  json_stage::unsupported_type(type, where, "BPE, WordPiece, Unigram, WordLevel");
}

}  // namespace triage::data
