// The model stage of a tokenizer.json: one pre-tokenized piece in, its tokens out (bpe.h,
// wordpiece_model.h, unigram_model.h, word_level_model.h). Torch-free.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace triage::data {

// One token of a piece: its id and [begin, end) in the piece's characters (code points).
struct PieceToken {
  int32_t id;
  uint32_t begin;
  uint32_t end;
};

class SubwordModel {
 public:
  virtual ~SubwordModel() = default;
  // Tokenizes one piece (valid UTF-8) and appends its tokens to out.
  virtual void tokenize(std::string_view piece, std::vector<PieceToken>& out) const = 0;
  virtual int32_t token_to_id(std::string_view token) const = 0;  // -1 when absent
  virtual const std::string& id_to_token(int32_t id) const = 0;   // id < vocab_size()
  virtual int32_t vocab_size() const = 0;
  virtual std::string unk_token() const = 0;  // "" when none
};

// The "model" value of a tokenizer.json; `where` is its JSON path with the file.
// InputError for an unknown type or option.
std::unique_ptr<SubwordModel> parse_model(const nlohmann::json& j, const std::string& where);

}  // namespace triage::data
