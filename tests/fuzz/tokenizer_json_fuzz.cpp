// libFuzzer target for the tokenizer.json loader (data/json_tokenizer.h): every input is a
// candidate tokenizer.json. Loading must succeed or throw InputError (a file's mistakes are
// the user's input); a tokenizer that loads must encode a few fixed texts, as text and as
// pre-split words, with consistent results or InputError. Any other exception, crash or
// sanitizer report is a bug. Seeds: tests/fuzz/tokenizer_json_seeds (one per stage family).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/error.h"
#include "data/json_tokenizer.h"
#include "data/utf8.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void check_encoding(const triage::data::Encoding& e, const std::vector<int32_t>& words, int32_t vocab, size_t n) {
  check(e.ids.size() == e.offsets.size() && e.ids.size() == e.special.size() && e.ids.size() == words.size());
  for (size_t i = 0; i < e.ids.size(); ++i) {
    check(e.ids[i] >= 0 && e.ids[i] < vocab);
    check(e.offsets[i].first >= 0 && e.offsets[i].first <= e.offsets[i].second &&
          static_cast<size_t>(e.offsets[i].second) <= n);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace triage::data;
  std::unique_ptr<JsonTokenizer> tok;
  try {
    tok = JsonTokenizer::from_string(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json",
                                     "/nonexistent");
  } catch (const triage::InputError&) {
    return 0;
  }
  static const std::vector<std::string> texts = {
      "", "  Hello world, A-12345!\t\r\n", "héllo 東京 😀👍🏽 <mask> [MASK] <s> ORDER order [NUM]x\xcc\x81"};
  for (const std::string& t : texts) {
    std::vector<int32_t> words;
    try {
      const Encoding e = tok->encode_with_words(t, true, words);
      check_encoding(e, words, tok->vocab_size(), utf8::valid(t) ? t.size() : 0);
    } catch (const triage::InputError&) {
    }
    try {
      const Encoding e = tok->encode_words({t, "x", t}, false, words);
      check_encoding(e, words, tok->vocab_size(), t.size() + 1);
    } catch (const triage::InputError&) {
    }
  }
  return 0;
}
