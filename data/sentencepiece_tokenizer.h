// SentencePiece tokenizer through libsentencepiece: ids exactly as the sentencepiece
// library assigns them (or shifted by the fairseq offset for XLM-R checkpoints), offsets
// from each piece's surface span in the original text, in code points, with leading and
// trailing whitespace trimmed as HF XLMRobertaTokenizerFast reports them ("▁world" covers
// "world"; a lone "▁" piece covers the one character after it).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "data/tokenizer.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace triage::data {

struct SentencePieceOptions {
  // XLM-R (fairseq) id layout, as HF XLMRobertaTokenizer: <s>=0 <pad>=1 </s>=2 <unk>=3,
  // every other piece at its sentencepiece id + 1, <mask> = piece count + 1. Off: the raw
  // sentencepiece ids.
  bool fairseq_ids = false;
  std::string cls_token;  // empty: "<s>", or "[CLS]" when the model has it (ALBERT)
  std::string sep_token;  // empty: "</s>", or "[SEP]" when the model has it
  std::string mask_token;  // empty: "<mask>" or "[MASK]" when present
};

class SentencePieceTokenizer final : public Tokenizer {
 public:
  // Throws InputError naming the file when it is not a SentencePiece model.
  static std::unique_ptr<SentencePieceTokenizer> from_file(const std::filesystem::path& model,
                                                           SentencePieceOptions options = {});
  ~SentencePieceTokenizer() override;

  Encoding encode(std::string_view utf8, bool add_special_tokens = true) const override;
  int32_t vocab_size() const override;
  int32_t token_to_id(std::string_view token) const override;
  std::string id_to_token(int32_t id) const override;
  const SpecialTokens& special() const override { return special_; }
  std::string kind() const override { return "sentencepiece"; }
  // Writes the model (sentencepiece.bpe.model for XLM-R ids, else spiece.model) and a
  // tokenizer_config.json naming XLMRobertaTokenizer or AlbertTokenizer.
  void save(const std::filesystem::path& dir) const override;

  const SentencePieceOptions& options() const { return options_; }

 private:
  SentencePieceTokenizer() = default;
  int32_t from_spm(int spm_id) const;  // sentencepiece id -> our id

  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
  SentencePieceOptions options_;
  SpecialTokens special_;
};

}  // namespace triage::data
