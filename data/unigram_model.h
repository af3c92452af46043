// The Unigram model of a tokenizer.json (tokenizers' models/unigram, SentencePiece's
// unigram_model.cc): the segmentation of a piece whose summed token scores is highest
// (Viterbi over every vocabulary token that starts at each character), a character no
// token of its own length covers scored as unknown (lowest score - 10) and consecutive
// unknowns fused into one token; with byte_fallback an unknown becomes <0xXX> tokens when
// the vocabulary has them all. Results are cached per thread and piece (piece_cache.h).
// Torch-free.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "data/subword_model.h"
#include "data/vocab_map.h"

namespace triage::data {

class UnigramModel final : public SubwordModel {
 public:
  // vocab[i] = (token i, its score); unk_id < 0: none (a piece that needs it is an
  // InputError). A token given twice resolves to its last id, as in tokenizers.
  UnigramModel(std::vector<std::pair<std::string, double>> vocab, int32_t unk_id, bool byte_fallback,
               const std::string& where);
  // The "model" object of a tokenizer.json with "type": "Unigram"; `where` is its JSON path
  // with the file. Errors name the key: a vocab entry that is not [token, score], an
  // unk_id outside the vocabulary.
  static std::unique_ptr<UnigramModel> from_json(const nlohmann::json& model, const std::string& where);

  void tokenize(std::string_view piece, std::vector<PieceToken>& out) const override;
  int32_t token_to_id(std::string_view token) const override { return ids_.find(token); }
  const std::string& id_to_token(int32_t id) const override { return vocab_[static_cast<size_t>(id)].first; }
  int32_t vocab_size() const override { return static_cast<int32_t>(vocab_.size()); }
  std::string unk_token() const override { return unk_id_ >= 0 ? vocab_[static_cast<size_t>(unk_id_)].first : ""; }

 private:
  std::vector<std::pair<std::string, double>> vocab_;
  VocabMap ids_;  // token -> id (the last id of a token given twice)
  // The tokens as a byte trie (what tokenizers' common_prefix_search walks): node k's
  // children are edges [first, first + count) sorted by byte; value = token id or -1.
  struct Node {
    uint32_t first;
    uint32_t count;
    int32_t value;
  };
  std::vector<Node> nodes_;
  std::vector<uint8_t> edge_byte_;
  std::vector<uint32_t> edge_child_;
  int32_t unk_id_;
  bool byte_fallback_;
  double unk_score_;
  std::string where_;
  int32_t byte_ids_[256];  // <0xXX> tokens, -1 where absent
  uint64_t instance_;      // the per-thread piece cache's key for this model
  void segment(std::string_view piece, std::vector<PieceToken>& out) const;
};

}  // namespace triage::data
