// SentencePiece tokenizer (see sentencepiece_tokenizer.h): libsentencepiece does the
// segmentation; this file maps ids (fairseq layout for XLM-R) and byte spans to code points.
#include "data/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file_io.h"
#include "data/unicode/tables.h"
#include "data/utf8.h"

namespace triage::data {
namespace {
constexpr int32_t kFairseqOffset = 1;
// HF XLMRobertaTokenizer's fixed ids for the fairseq dictionary's first entries.
constexpr std::pair<const char*, int32_t> kFairseqTokens[] = {
    {"<s>", 0}, {"<pad>", 1}, {"</s>", 2}, {"<unk>", 3}};
}  // namespace

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::from_file(
    const std::filesystem::path& model, SentencePieceOptions options) {
  std::unique_ptr<SentencePieceTokenizer> t(new SentencePieceTokenizer());
  t->sp_ = std::make_unique<sentencepiece::SentencePieceProcessor>();
  const std::string bytes = read_file(model);
  const auto status = t->sp_->LoadFromSerializedProto(bytes);
  if (!status.ok())
    throw InputError(model.string() + ": not a SentencePiece model: " + status.ToString());
  t->options_ = std::move(options);
  SentencePieceOptions& o = t->options_;
  auto has = [&](const std::string& piece) {
    const int id = t->sp_->PieceToId(piece);
    return t->sp_->IdToPiece(id) == piece && !(t->sp_->IsUnknown(id) && piece != "<unk>");
  };
  if (o.cls_token.empty()) o.cls_token = has("[CLS]") && !o.fairseq_ids ? "[CLS]" : "<s>";
  if (o.sep_token.empty()) o.sep_token = has("[SEP]") && !o.fairseq_ids ? "[SEP]" : "</s>";
  if (o.mask_token.empty()) o.mask_token = has("[MASK]") && !o.fairseq_ids ? "[MASK]" : "<mask>";
  SpecialTokens& s = t->special_;
  if (o.fairseq_ids) {
    s = SpecialTokens{1, 3, 0, 2, t->sp_->GetPieceSize() + kFairseqOffset};
  } else {
    s.unk = t->sp_->unk_id();
    s.pad = t->sp_->pad_id();
    if (s.pad < 0 && has("<pad>")) s.pad = t->sp_->PieceToId("<pad>");
    s.cls = t->token_to_id(o.cls_token);
    s.sep = t->token_to_id(o.sep_token);
    s.mask = t->token_to_id(o.mask_token);
  }
  return t;
}

int32_t SentencePieceTokenizer::from_spm(int spm_id) const {
  if (!options_.fairseq_ids) return spm_id;
  return spm_id == sp_->unk_id() ? 3 : spm_id + kFairseqOffset;
}

int32_t SentencePieceTokenizer::vocab_size() const {
  return sp_->GetPieceSize() + (options_.fairseq_ids ? kFairseqOffset + 1 : 0);
}

int32_t SentencePieceTokenizer::token_to_id(std::string_view token) const {
  if (options_.fairseq_ids) {
    for (const auto& [piece, id] : kFairseqTokens)
      if (token == piece) return id;
    if (token == "<mask>") return special_.mask;
  }
  const int id = sp_->PieceToId(token);
  if (sp_->IdToPiece(id) != token) return -1;  // PieceToId answers unk for unknown pieces
  return from_spm(id);
}

std::string SentencePieceTokenizer::id_to_token(int32_t id) const {
  if (id < 0 || id >= vocab_size())
    throw InputError("token id " + std::to_string(id) + " is outside the vocabulary of " +
                     std::to_string(vocab_size()));
  if (options_.fairseq_ids) {
    for (const auto& [piece, fid] : kFairseqTokens)
      if (id == fid) return piece;
    if (id == special_.mask) return "<mask>";
    return sp_->IdToPiece(id - kFairseqOffset);
  }
  return sp_->IdToPiece(id);
}

Encoding SentencePieceTokenizer::encode(std::string_view text, bool add_special_tokens) const {
  thread_local std::vector<uint32_t> starts;  // byte offset of each code point
  thread_local std::vector<char32_t> cps;
  utf8::code_point_starts(text, starts);
  utf8::decode(text, cps);
  const auto spt = sp_->EncodeAsImmutableProto(text);
  const size_t n = spt.pieces_size();
  Encoding out;
  out.ids.reserve(n + 2);
  out.offsets.reserve(n + 2);
  out.special.reserve(n + 2);
  auto to_cp = [&](uint32_t byte) {
    return static_cast<int32_t>(std::lower_bound(starts.begin(), starts.end(), byte) -
                                starts.begin());
  };
  if (add_special_tokens && special_.cls >= 0) {
    out.ids.push_back(special_.cls);
    out.offsets.emplace_back(0, 0);
    out.special.push_back(1);
  }
  for (size_t i = 0; i < n; ++i) {
    const auto piece = spt.pieces(static_cast<int>(i));
    out.ids.push_back(from_spm(static_cast<int>(piece.id())));
    // The surface span trimmed of whitespace, as HF XLMRobertaTokenizerFast reports it
    // (trim_offsets): "▁world" covers "world"; a lone "▁" covers the character after it.
    int32_t b = to_cp(piece.begin()), e = to_cp(piece.end());
    while (b < e && (unicode::flags(cps[b]) & unicode::kSplitSpace)) ++b;
    while (e > b && (unicode::flags(cps[e - 1]) & unicode::kSplitSpace)) --e;
    if (b == e) {
      b = e = to_cp(piece.end());
      if (e < static_cast<int32_t>(cps.size())) ++e;
    }
    out.offsets.emplace_back(b, e);
    out.special.push_back(0);
  }
  if (add_special_tokens && special_.sep >= 0) {
    out.ids.push_back(special_.sep);
    out.offsets.emplace_back(0, 0);
    out.special.push_back(1);
  }
  return out;
}

void SentencePieceTokenizer::save(const std::filesystem::path& dir) const {
  std::filesystem::create_directories(dir);
  const bool xlmr = options_.fairseq_ids;
  write_file_atomic(dir / (xlmr ? "sentencepiece.bpe.model" : "spiece.model"),
                    sp_->serialized_model_proto());
  nlohmann::json config = {
      {"tokenizer_class", xlmr ? "XLMRobertaTokenizer" : "AlbertTokenizer"},
      {"cls_token", options_.cls_token},
      {"sep_token", options_.sep_token},
      {"bos_token", options_.cls_token},
      {"eos_token", options_.sep_token},
      {"unk_token", id_to_token(special_.unk)},
  };
  if (special_.mask >= 0) config["mask_token"] = options_.mask_token;
  if (special_.pad >= 0) config["pad_token"] = id_to_token(special_.pad);
  if (!xlmr) {
    config["do_lower_case"] = false;
    config["keep_accents"] = true;
  }
  write_file_atomic(dir / "tokenizer_config.json", config.dump(2) + "\n");
}

}  // namespace triage::data
