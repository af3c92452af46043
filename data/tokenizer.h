// Tokenizer contract: text in, sub-word ids with character offsets out. Offsets are
// [start, end) in Unicode code points of the input text, exactly as Hugging Face's fast
// tokenizers report them (converted from bytes to code points); special tokens added by
// encode() have offsets {0, 0} and special[i] == 1.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace triage::data {

struct Encoding {
  std::vector<int32_t> ids;
  std::vector<std::pair<int32_t, int32_t>> offsets;  // code points, end exclusive
  std::vector<uint8_t> special;                       // 1 for tokens added by encode()
  size_t size() const { return ids.size(); }
};

// Ids of the special tokens; -1 where the vocabulary has none. For SentencePiece models
// cls/sep are <s>/</s> as in XLM-R.
struct SpecialTokens {
  int32_t pad = -1;
  int32_t unk = -1;
  int32_t cls = -1;
  int32_t sep = -1;
  int32_t mask = -1;
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // Encodes one UTF-8 text; add_special_tokens wraps it as the model expects
  // ([CLS] x [SEP] for BERT, <s> x </s> for XLM-R). Throws InputError on invalid UTF-8.
  virtual Encoding encode(std::string_view utf8, bool add_special_tokens = true) const = 0;
  // Pre-split words as tokenizer(words, is_split_into_words=True) encodes them: out's
  // offsets are code points within each word, word_ids[i] the word of token i (-1 for
  // special tokens). False when this tokenizer takes them as their text joined by spaces
  // (WordPiece and SentencePiece, which give the same tokens that way) or when transformers
  // refuses them (byte-level BPE without add_prefix_space, where the text keeps training
  // equal to serving).
  virtual bool encode_pre_split(const std::vector<std::string>& /*words*/, bool /*add_special_tokens*/,
                                Encoding& /*out*/, std::vector<int32_t>& /*word_ids*/) const {
    return false;
  }
  virtual int32_t vocab_size() const = 0;
  virtual int32_t token_to_id(std::string_view token) const = 0;  // -1 if absent
  virtual std::string id_to_token(int32_t id) const = 0;
  virtual const SpecialTokens& special() const = 0;
  virtual std::string kind() const = 0;  // "wordpiece", "sentencepiece" or "tokenizer.json"
  // Writes the files that define this tokenizer into dir (for checkpoints), so that
  // load_tokenizer(dir) and Hugging Face's AutoTokenizer load the same tokenizer.
  virtual void save(const std::filesystem::path& dir) const = 0;
};

// Loads the tokenizer of a Hugging Face model directory, the first of: tokenizer.json (a
// WordPiece model with BertNormalizer and BertPreTokenizer: WordPieceTokenizer; anything
// else: the tokenizer.json pipeline, json_tokenizer.h), vocab.txt (+ tokenizer_config.json), vocab.json + merges.txt
// (RoBERTa), a SentencePiece model file (sentencepiece.bpe.model, spiece.model, *.model).
// Throws InputError naming the directory and the files it looked for when none is usable.
// SentencePiece ids: a model named sentencepiece.bpe.model, or a tokenizer_config.json whose
// tokenizer_class starts with XLMRoberta, gets HF XLMRobertaTokenizer's fairseq layout
// (<s>=0 <pad>=1 </s>=2 <unk>=3, other pieces at their sentencepiece id + 1, <mask> last);
// any other model keeps the raw sentencepiece ids. A tokenizer.json with a Unigram model
// (not implemented in the pipeline yet) gives way to a SentencePiece model file beside it.
std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& dir);

}  // namespace triage::data
