// Any Hugging Face tokenizer.json, run the way the `tokenizers` library runs it: added tokens
// split off first (those with normalized=false in the raw text), then per remaining segment
// the normalizer, the added tokens with normalized=true, the pre-tokenizer, the model on each
// piece, and the post-processor. Offsets are code points of the original text, mapped back
// through every stage (pre_tokenized.h). Stages: normalizers.h, pre_tokenizers.h,
// subword_model.h, post_processors.h. Torch-free.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "data/added_tokens.h"
#include "data/normalizers.h"
#include "data/post_processors.h"
#include "data/pre_tokenizers.h"
#include "data/subword_model.h"
#include "data/tokenizer.h"

namespace triage::data {

class JsonTokenizer final : public Tokenizer {
 public:
  // Reads `file` (a tokenizer.json) and the special-token names of tokenizer_config.json /
  // special_tokens_map.json beside it. InputError naming the file and the JSON path of the
  // stage for anything unsupported or inconsistent.
  static std::unique_ptr<JsonTokenizer> from_file(const std::filesystem::path& file);
  // The same from the file's text; `dir` is where the config files are looked for.
  static std::unique_ptr<JsonTokenizer> from_string(std::string json_text, const std::string& where,
                                                    const std::filesystem::path& dir);

  Encoding encode(std::string_view utf8, bool add_special_tokens = true) const override;
  // As encode(), also the index of the pre-token each token comes from (-1 for special
  // tokens), as tokenizers' Encoding.word_ids.
  Encoding encode_with_words(std::string_view utf8, bool add_special_tokens,
                             std::vector<int32_t>& word_ids) const;
  // Pre-split words, as tokenizer(words, is_split_into_words=True): each word runs through
  // the pipeline on its own (offsets are code points of that word), word_ids[i] is the
  // index of the word, and the post-processor sees the whole sequence. InputError for a
  // byte-level tokenizer without add_prefix_space (transformers' RoBERTa rule).
  Encoding encode_words(const std::vector<std::string>& words, bool add_special_tokens,
                        std::vector<int32_t>& word_ids) const;
  // encode_words(), false where it would refuse.
  bool encode_pre_split(const std::vector<std::string>& words, bool add_special_tokens, Encoding& out,
                        std::vector<int32_t>& word_ids) const override;
  int32_t vocab_size() const override { return static_cast<int32_t>(vocab_.size()); }
  int32_t token_to_id(std::string_view token) const override;
  std::string id_to_token(int32_t id) const override;
  const SpecialTokens& special() const override { return special_; }
  std::string kind() const override { return "tokenizer.json"; }
  // Writes the tokenizer.json as read, and tokenizer_config.json / special_tokens_map.json
  // as they were beside it (when there was no tokenizer_config.json: one naming the special
  // tokens that are added tokens of the file).
  void save(const std::filesystem::path& dir) const override;

 private:
  JsonTokenizer() = default;
  struct Scratch;
  // Appends the tokens of `text` to s.seq; word >= 0: every token's word id, else the
  // index of its pre-token.
  void tokenize_into(std::string_view text, int32_t word, Scratch& s) const;
  Encoding finish(Scratch& s, bool add_special_tokens, std::vector<int32_t>& word_ids) const;
  void add_segment(Scratch& s, size_t begin, size_t end) const;

  std::string json_text_;  // the file as read, written back by save()
  std::string config_json_, special_map_json_;  // beside it ("" when absent)
  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<SubwordModel> model_;
  std::unique_ptr<PostProcessor> post_processor_;
  std::vector<AddedToken> added_;
  AddedTokenMatcher raw_matcher_;         // normalized == false
  AddedTokenMatcher normalized_matcher_;  // normalized == true, patterns normalized
  std::vector<std::string> vocab_;        // id -> token (model vocabulary, then added tokens)
  std::vector<std::pair<uint16_t, uint16_t>> token_spaces_;  // per id, for trim_offsets
  SpecialTokens special_;
};

}  // namespace triage::data
