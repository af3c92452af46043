// The post-processors of a tokenizer.json (tokenizers' processors/*.rs): BertProcessing,
// RobertaProcessing, TemplateProcessing, ByteLevel and Sequence, on a single sequence:
// offsets trimmed of the spaces a byte-level token carries (trim_offsets), then the special
// tokens of the template, with offsets (0, 0), special 1 and no word. Torch-free.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace triage::data {

// Tokens of one sequence on their way out of the pipeline.
struct TokenSeq {
  std::vector<int32_t> ids;
  std::vector<std::pair<int32_t, int32_t>> offsets;  // original code points
  std::vector<uint8_t> special;                       // 1: added by the post-processor
  std::vector<int32_t> word_ids;                      // pre-token index, -1 for special tokens
  // Per token: how many characters its string starts and ends with that are spaces, or
  // the byte-level space "Ġ" (what trim_offsets removes).
  std::vector<std::pair<uint16_t, uint16_t>> spaces;
  size_t size() const { return ids.size(); }
  void clear() {
    ids.clear();
    offsets.clear();
    special.clear();
    word_ids.clear();
    spaces.clear();
  }
};

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  virtual void process(TokenSeq& seq, bool add_special_tokens) const = 0;
  virtual bool trims_offsets() const { return false; }
  // The special tokens the single-sequence template puts first and last (-1: none).
  virtual std::pair<int32_t, int32_t> wrapping_ids() const { return {-1, -1}; }
};

// The "post_processor" value of a tokenizer.json (null: none, returns nullptr); `where` is
// its JSON path with the file. InputError for an unknown type or option, or a template
// naming a special token it does not define.
std::unique_ptr<PostProcessor> parse_post_processor(const nlohmann::json& j, const std::string& where);

// The leading and trailing "spaces" of a token string as trim_offsets counts them.
std::pair<uint16_t, uint16_t> token_spaces(std::u32string_view token);

}  // namespace triage::data
