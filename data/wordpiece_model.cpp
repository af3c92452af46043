// Greedy longest-match WordPiece (see wordpiece_model.h), after tokenizers'
// models/wordpiece/mod.rs.
#include "data/wordpiece_model.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/json_stage.h"
#include "data/utf8.h"

namespace triage::data {

WordPieceModel::WordPieceModel(std::vector<std::string> vocab, std::string unk_token, std::string prefix,
                               int max_input_chars_per_word)
    : vocab_(std::move(vocab)), unk_token_(std::move(unk_token)), prefix_(std::move(prefix)),
      max_chars_(max_input_chars_per_word) {
  for (size_t i = 0; i < vocab_.size(); ++i) {
    const std::string& tok = vocab_[i];
    if (!ids_.insert(tok, static_cast<int32_t>(i)))
      throw InputError("vocabulary: token '" + tok + "' appears twice (ids " + std::to_string(ids_.find(tok)) +
                       " and " + std::to_string(i) + ")");
    if (!prefix_.empty() && tok.size() > prefix_.size() && tok.compare(0, prefix_.size(), prefix_) == 0)
      continuation_.insert(std::string_view(tok).substr(prefix_.size()), static_cast<int32_t>(i));
  }
  if (!utf8::valid(prefix_)) throw InputError("continuing_subword_prefix is not valid UTF-8");
}

std::unique_ptr<WordPieceModel> WordPieceModel::from_json(const nlohmann::json& m, const std::string& where) {
  json_stage::check_keys(m, where, {"unk_token", "continuing_subword_prefix", "max_input_chars_per_word", "vocab"});
  const json_stage::VocabById vocab = json_stage::vocab_by_id(json_stage::require(m, "vocab", where), where + ".vocab");
  int max_chars = 100;
  if (m.contains("max_input_chars_per_word")) {
    const auto& v = m["max_input_chars_per_word"];
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > (1 << 30))
      throw InputError(where + ".max_input_chars_per_word: expected a non-negative integer, found " + v.dump());
    max_chars = v.get<int>();
  }
  try {
    return std::make_unique<WordPieceModel>(vocab, json_stage::get_string(m, "unk_token", "[UNK]", where),
                                            json_stage::get_string(m, "continuing_subword_prefix", "##", where),
                                            max_chars);
  } catch (const InputError& e) {
    throw InputError(where + ": " + e.what());
  }
}

void WordPieceModel::tokenize(std::string_view piece, std::vector<PieceToken>& out) const {
  thread_local std::vector<uint32_t> starts;
  starts.clear();
  for (size_t i = 0; i < piece.size(); i += utf8::sequence_length(static_cast<unsigned char>(piece[i])))
    starts.push_back(static_cast<uint32_t>(i));
  const size_t n = starts.size();
  starts.push_back(static_cast<uint32_t>(piece.size()));
  tokenize(piece, starts.data(), n, out);
}

void WordPieceModel::tokenize(std::string_view word, const uint32_t* char_bytes, size_t nchars,
                              std::vector<PieceToken>& out) const {
  const auto unk = [&] {
    const int32_t id = ids_.find(unk_token_);
    if (id < 0)
      throw InputError("WordPiece: unknown token '" + unk_token_ + "' is not in the vocabulary but a word needs it");
    out.push_back({id, 0, static_cast<uint32_t>(nchars)});
  };
  if (nchars > static_cast<size_t>(max_chars_)) {
    unk();
    return;
  }
  const size_t first = out.size();
  size_t start = 0;
  while (start < nchars) {
    const VocabMap& map = (start == 0 || prefix_.empty()) ? ids_ : continuation_;
    const size_t max_bytes = map.max_key_size();
    size_t end = nchars;
    while (end > start && char_bytes[end] - char_bytes[start] > max_bytes) --end;
    int32_t id = -1;
    for (; end > start; --end) {
      id = map.find(word.substr(char_bytes[start], char_bytes[end] - char_bytes[start]));
      if (id >= 0) break;
    }
    if (id < 0) {  // no sub-word fits: the whole word is unknown
      out.resize(first);
      unk();
      return;
    }
    out.push_back({id, static_cast<uint32_t>(start), static_cast<uint32_t>(end)});
    start = end;
  }
}

}  // namespace triage::data
