// libFuzzer target for the tokenizer.json pipeline's encoder (data/json_tokenizer.h): every
// input is encoded by each configuration in tests/fuzz/tokenizer_json_seeds (every
// normalizer, pre-tokenizer and post-processor data/ implements, byte-level, character and
// byte-fallback BPE), as text and, split on newlines, as pre-split words. Invalid UTF-8 must
// be an InputError; valid text must give ids inside the vocabulary, offsets inside the text
// (code points, begin <= end), and word ids that are -1 exactly for special tokens.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "data/json_tokenizer.h"
#include "data/utf8.h"

#ifndef TRIAGE_FUZZ_SEEDS
#error "TRIAGE_FUZZ_SEEDS must name tests/fuzz/tokenizer_json_seeds"
#endif

namespace {

using namespace triage::data;

void check(bool ok) {
  if (!ok) std::abort();
}

const std::vector<std::unique_ptr<JsonTokenizer>>& tokenizers() {
  static const auto all = [] {
    std::vector<std::unique_ptr<JsonTokenizer>> out;
    for (const auto& f : std::filesystem::directory_iterator(TRIAGE_FUZZ_SEEDS))
      out.push_back(JsonTokenizer::from_file(f.path()));
    check(!out.empty());
    return out;
  }();
  return all;
}

size_t code_points(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

void check_encoding(const Encoding& e, const std::vector<int32_t>& words, int32_t vocab, size_t longest) {
  check(e.ids.size() == e.offsets.size() && e.ids.size() == e.special.size() && e.ids.size() == words.size());
  for (size_t i = 0; i < e.ids.size(); ++i) {
    check(e.ids[i] >= 0 && e.ids[i] < vocab);
    check(e.offsets[i].first >= 0 && e.offsets[i].first <= e.offsets[i].second &&
          static_cast<size_t>(e.offsets[i].second) <= longest);
    check((words[i] < 0) == (e.special[i] == 1));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const bool valid = utf8::valid(text);
  std::vector<std::string> words;
  size_t longest = 0;
  if (valid) {
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string::npos) nl = text.size();
      words.push_back(text.substr(pos, nl - pos));
      longest = std::max(longest, code_points(words.back()));
      pos = nl + 1;
    }
  }
  for (const auto& tok : tokenizers()) {
    std::vector<int32_t> word_ids;
    try {
      const Encoding e = tok->encode_with_words(text, true, word_ids);
      check(valid);
      check_encoding(e, word_ids, tok->vocab_size(), code_points(text));
    } catch (const triage::InputError&) {
      check(!valid);
    }
    if (!valid) continue;
    try {
      const Encoding e = tok->encode_words(words, true, word_ids);
      check_encoding(e, word_ids, tok->vocab_size(), longest);
    } catch (const triage::InputError& err) {
      // only the byte-level configurations without add_prefix_space refuse words
      check(std::string(err.what()).find("add_prefix_space") != std::string::npos);
    }
  }
  return 0;
}
