// The BPE model of Hugging Face tokenizers (models/bpe): a piece's characters become symbols
// (with continuing_subword_prefix / end_of_word_suffix, byte_fallback to <0xNN> tokens, or
// the unk token, fused or not), then the lowest-rank merge applies first, leftmost among
// equal ranks, until none applies; ignore_merges takes a piece that is itself in the
// vocabulary as one token. Results are cached per thread and model (words under 256 bytes,
// up to 10,000 of them), as the Rust crate does. Dropout is not supported (training-time
// only; a tokenizer.json with dropout set is refused by the loader). Torch-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "data/subword_model.h"
#include "data/vocab_map.h"

namespace triage::data {

struct BpeOptions {
  std::optional<std::string> unk_token;
  std::string continuing_subword_prefix;  // "" = none
  std::string end_of_word_suffix;         // "" = none
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
};

class BpeModel final : public SubwordModel {
 public:
  // vocab[i] is the token with id i; merges in rank order. `where` names the source in
  // errors ("DIR/tokenizer.json: model"): a merge naming a token that is not in the
  // vocabulary (or whose merged form is not) is an InputError naming merges[i].
  BpeModel(std::vector<std::string> vocab, const std::vector<std::pair<std::string, std::string>>& merges,
           BpeOptions options, const std::string& where);

  // The "model" object of a tokenizer.json with "type": "BPE" (merges as "a b" strings or
  // ["a", "b"] pairs). `where` is its JSON path with the file ("DIR/tokenizer.json: model");
  // errors name the key: a dropout (training only), vocab ids that are not 0..n-1, a merge
  // naming an unknown token.
  static BpeModel from_json(const nlohmann::json& model, const std::string& where);

  // Tokenizes one pre-tokenized piece (valid UTF-8); appends its tokens to out. InputError
  // when a character has no token and there is neither byte fallback nor an unk token.
  void tokenize(std::string_view piece, std::vector<PieceToken>& out) const override;

  int32_t token_to_id(std::string_view token) const override { return ids_.find(token); }
  const std::string& id_to_token(int32_t id) const override { return vocab_[static_cast<size_t>(id)]; }
  int32_t vocab_size() const override { return static_cast<int32_t>(vocab_.size()); }
  std::string unk_token() const override { return options_.unk_token.value_or(""); }
  const BpeOptions& options() const { return options_; }

 private:
  void merge(std::string_view piece, std::vector<PieceToken>& out) const;

  std::vector<std::string> vocab_;
  VocabMap ids_;
  BpeOptions options_;
  int32_t unk_id_ = -1;
  int32_t byte_ids_[256];  // <0xNN> tokens for byte_fallback, -1 when absent
  // (left id, right id) -> (rank, merged id), open addressing
  struct MergeSlot {
    uint64_t key = ~uint64_t{0};
    uint32_t rank = 0;
    int32_t id = -1;
  };
  std::vector<MergeSlot> merges_;
  uint64_t merge_mask_ = 0;
  const MergeSlot* find_merge(int32_t left, int32_t right) const;
  uint64_t instance_;  // the per-thread cache's key for this model
};

}  // namespace triage::data
