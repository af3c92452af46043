// Unit tests for the tokenizers: Unicode tables, normalization, pre-tokenization, WordPiece
// greedy longest-match, added/special tokens, offsets, invalid UTF-8, loading and saving.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/bert_normalizer.h"
#include "data/bpe.h"
#include "data/regex.h"
#include "data/sentencepiece_tokenizer.h"
#include "data/unicode/tables.h"
#include "data/utf8.h"
#include "data/vocab_map.h"
#include "data/wordpiece.h"
#include "tests/common/test_util.h"

namespace triage::data {
namespace {
using triage::testing::error_of;
namespace fs = std::filesystem;
using Offsets = std::vector<std::pair<int32_t, int32_t>>;

// ids: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, then the words below from 5.
const std::vector<std::string> kVocab = {
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "aff", "##a",
    "hello", "world", ",", "!", "cafe", "i", "##\xcc\x87", "\xe4\xb8\xad", "a", "##b",
    "ab", "Hello", "caf", "##\xc3\xa9"};

std::unique_ptr<WordPieceTokenizer> make(bool lowercase = true, int max_chars = 100) {
  WordPieceOptions o;
  o.normalizer.lowercase = lowercase;
  o.max_input_chars_per_word = max_chars;
  std::vector<AddedToken> added;
  for (int id = 0; id < 5; ++id) added.push_back({kVocab[id], id});
  return std::make_unique<WordPieceTokenizer>(kVocab, o, added);
}

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() /
                       ("triage_tok_" + name + "_" + std::to_string(std::random_device{}()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary) << text;
}


TEST(UnicodeTables, Flags) {
  EXPECT_TRUE(unicode::flags(U' ') & unicode::kSplitSpace);
  EXPECT_TRUE(unicode::flags(0x3000) & unicode::kSplitSpace);   // ideographic space
  EXPECT_FALSE(unicode::flags(0x200B) & unicode::kSplitSpace);  // zero width space: Cf
  EXPECT_TRUE(unicode::flags(0x200B) & unicode::kRemove);
  EXPECT_TRUE(unicode::flags(U'$') & unicode::kPunct);          // ASCII, though Unicode Sc
  EXPECT_TRUE(unicode::flags(0x00BF) & unicode::kPunct);        // inverted question mark
  EXPECT_TRUE(unicode::flags(0x4E2D) & unicode::kCjk);
  EXPECT_FALSE(unicode::flags(0x3042) & unicode::kCjk);         // hiragana is not
  EXPECT_TRUE(unicode::flags(0x0301) & unicode::kNonspacing);
  EXPECT_FALSE(unicode::flags(0x093F) & unicode::kNonspacing);  // Mc survives strip_accents
  char32_t buf[4];
  ASSERT_EQ(unicode::decomposition(0x00E9, buf), 2u);
  EXPECT_EQ(buf[0], U'e');
  EXPECT_EQ(buf[1], 0x0301u);
  EXPECT_EQ(unicode::decomposition(0xAC01, buf), 3u);  // Hangul, algorithmic
  ASSERT_EQ(unicode::lowercase(0x0130, buf), 2u);      // İ -> i + combining dot above
  EXPECT_EQ(buf[0], U'i');
  EXPECT_EQ(buf[1], 0x0307u);
  EXPECT_EQ(unicode::lowercase(U'a', buf), 0u);
}

TEST(BertNormalizer, CleansStripsLowercases) {
  BertNormalizerOptions o;  // uncased: strip accents follows lowercase
  EXPECT_EQ(bert_normalize(o, U"H\u00e9llo\tW\u00d6RLD"), U"hello world");
  EXPECT_EQ(bert_normalize(o, std::u32string(U"a\u200bb\u0000c\ufffdd", 7)), U"abcd");
  EXPECT_EQ(bert_normalize(o, U"\u4e2d\u6587"), U" \u4e2d  \u6587 ");
  o.strip_accents = false;
  EXPECT_EQ(bert_normalize(o, U"\u00c9"), U"\u00e9");
  EXPECT_EQ(bert_normalize(o, U"\u0130"), U"i\u0307");  // expands
  o.lowercase = false;
  o.strip_accents.reset();
  EXPECT_EQ(bert_normalize(o, U"\u00c9cole"), U"\u00c9cole");
}

TEST(BertNormalizer, AlignsToOriginal) {
  BertNormalizerOptions o;
  o.strip_accents = false;
  std::vector<NormChar> out;
  const std::u32string text = U"x\u0130y";
  bert_normalize(o, text.data(), 0, text.size(), out);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[1].orig, 1);
  EXPECT_EQ(out[2].orig, 1);  // the combining dot comes from the same original char
  EXPECT_EQ(out[3].orig, 2);
}

TEST(WordPiece, GreedyLongestMatch) {
  auto t = make();
  const Encoding e = t->encode("unaffable", false);
  EXPECT_EQ(e.ids, (std::vector<int32_t>{5, 6, 7}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 2}, {2, 5}, {5, 9}}));
  EXPECT_EQ(t->encode("ab", false).ids, (std::vector<int32_t>{20}));  // "ab", not a ##b
}

TEST(WordPiece, UnknownAndOverLongWords) {
  auto t = make();
  EXPECT_EQ(t->encode("unxyz hello", false).ids, (std::vector<int32_t>{1, 10}));
  EXPECT_EQ(t->encode("unxyz hello", false).offsets, (Offsets{{0, 5}, {6, 11}}));
  auto short_words = make(true, 4);
  const Encoding e = short_words->encode("hello ab", false);
  EXPECT_EQ(e.ids, (std::vector<int32_t>{1, 20}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 5}, {6, 8}}));
}

TEST(WordPiece, SplitsOnWhitespaceAndPunctuation) {
  auto t = make();
  const Encoding e = t->encode("  Hello,world!\n", true);
  EXPECT_EQ(e.ids, (std::vector<int32_t>{2, 10, 12, 11, 13, 3}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 0}, {2, 7}, {7, 8}, {8, 13}, {13, 14}, {0, 0}}));
  EXPECT_EQ(e.special, (std::vector<uint8_t>{1, 0, 0, 0, 0, 1}));
  EXPECT_EQ(t->encode("", true).ids, (std::vector<int32_t>{2, 3}));
  EXPECT_EQ(t->encode(" \t ", false).ids.size(), 0u);
}

TEST(WordPiece, CasedKeepsCase) {
  auto t = make(/*lowercase=*/false);
  EXPECT_EQ(t->encode("Hello hello HELLO", false).ids, (std::vector<int32_t>{21, 10, 1}));
}

TEST(WordPiece, OffsetsFollowNormalization) {
  auto t = make();
  // "Café" -> "cafe" (accent stripped); "İ" -> "i" after stripping; the CJK char alone.
  const Encoding e = t->encode("Caf\u00e9 \u0130 x\u4e2dy", false);
  EXPECT_EQ(e.ids, (std::vector<int32_t>{14, 15, 1, 17, 1}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 4}, {5, 6}, {7, 8}, {8, 9}, {9, 10}}));
  auto cased = make(false);
  EXPECT_EQ(cased->encode("caf\u00e9", false).ids, (std::vector<int32_t>{22, 23}));
  EXPECT_EQ(cased->encode("caf\u00e9", false).offsets, (Offsets{{0, 3}, {3, 4}}));
}

TEST(WordPiece, SpecialTokensInRawText) {
  auto t = make();
  const Encoding e = t->encode("hello[SEP]world [sep]", false);
  // [SEP] matches before normalization; "[sep]" is lowercase text, split as punctuation.
  EXPECT_EQ(e.ids, (std::vector<int32_t>{10, 3, 11, 1, 1, 1}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 5}, {5, 10}, {10, 15}, {16, 17}, {17, 20}, {20, 21}}));
  EXPECT_EQ(e.special, (std::vector<uint8_t>(6, 0)));  // only encode()'s own are special
}

TEST(WordPiece, InvalidUtf8IsInputError) {
  auto t = make();
  for (const char* bad : {"\xff", "a\xc0\xaf", "\xed\xa0\x80", "\xe2\x82", "\xf4\x90\x80\x80",
                          "\x80x"})
    EXPECT_THROW(t->encode(bad), InputError) << bad;
  EXPECT_NE(error_of([&] { t->encode("ok \xff"); }).find("byte 3"), std::string::npos);
}

TEST(WordPiece, VocabAccessors) {
  auto t = make();
  EXPECT_EQ(t->vocab_size(), static_cast<int32_t>(kVocab.size()));
  EXPECT_EQ(t->token_to_id("##able"), 7);
  EXPECT_EQ(t->token_to_id("nope"), -1);
  EXPECT_EQ(t->id_to_token(10), "hello");
  EXPECT_THROW(t->id_to_token(1000), InputError);
  EXPECT_EQ(t->special().cls, 2);
  EXPECT_EQ(t->special().mask, 4);
  EXPECT_EQ(t->kind(), "wordpiece");
}

TEST(VocabMap, InsertFind) {
  VocabMap m;
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(m.insert("tok" + std::to_string(i), i));
  EXPECT_FALSE(m.insert("tok5", 7));
  EXPECT_EQ(m.find("tok5"), 5);
  EXPECT_EQ(m.find("tok999"), 999);
  EXPECT_EQ(m.find("tok1000"), -1);
  EXPECT_EQ(m.size(), 1000u);
}

TEST(Utf8, DecodesAndValidates) {
  std::vector<char32_t> cps;
  utf8::decode("a\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80", cps);
  EXPECT_EQ(cps, (std::vector<char32_t>{U'a', 0xE9, 0x4E2D, 0x1F600}));
  EXPECT_TRUE(utf8::valid("\xef\xbb\xbf"));
  EXPECT_FALSE(utf8::valid("\xc1\xbf"));  // overlong
  std::string s;
  utf8::append(s, 0x1F600);
  EXPECT_EQ(s, "\xf0\x9f\x98\x80");
}

TEST(LoadTokenizer, SaveRoundTrip) {
  auto t = make();
  const fs::path dir = temp_dir("save");
  t->save(dir);
  for (const char* f : {"vocab.txt", "tokenizer.json", "tokenizer_config.json",
                        "special_tokens_map.json"})
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  const std::string text = "Caf\u00e9 unaffable, [SEP] hello!";
  auto from_json = load_tokenizer(dir);
  EXPECT_EQ(from_json->encode(text).ids, t->encode(text).ids);
  EXPECT_EQ(from_json->encode(text).offsets, t->encode(text).offsets);
  fs::remove(dir / "tokenizer.json");
  auto from_vocab = load_tokenizer(dir);
  EXPECT_EQ(from_vocab->encode(text).ids, t->encode(text).ids);
  fs::remove_all(dir);
}

TEST(LoadTokenizer, Errors) {
  EXPECT_NE(error_of([] { load_tokenizer("/nonexistent/triage"); }).find("/nonexistent/triage"),
            std::string::npos);
  const fs::path dir = temp_dir("errors");
  const std::string none = error_of([&] { load_tokenizer(dir); });
  EXPECT_NE(none.find(dir.string()), std::string::npos) << none;
  EXPECT_NE(none.find("vocab.txt"), std::string::npos) << none;

  write(dir / "vocab.txt", "[PAD]\n[UNK]\nhello\nworld\nhello\n");
  const std::string dup = error_of([&] { load_tokenizer(dir); });
  EXPECT_NE(dup.find("vocab.txt:5"), std::string::npos) << dup;
  EXPECT_NE(dup.find("line 3"), std::string::npos) << dup;

  write(dir / "tokenizer.json", R"({"model": {"type": "BPE", "vocab": {}}})");
  const std::string bpe = error_of([&] { load_tokenizer(dir); });
  EXPECT_NE(bpe.find("tokenizer.json"), std::string::npos) << bpe;
  EXPECT_NE(bpe.find("BPE"), std::string::npos) << bpe;

  write(dir / "tokenizer.json", R"({"model": )");
  const std::string bad_json = error_of([&] { load_tokenizer(dir); });
  EXPECT_NE(bad_json.find("invalid JSON"), std::string::npos) << bad_json;

  write(dir / "tokenizer.json",
        R"({"model": {"type": "WordPiece", "vocab": {"a": 0, "b": 2}},
            "normalizer": null, "pre_tokenizer": {"type": "BertPreTokenizer"}})");
  const std::string gap = error_of([&] { load_tokenizer(dir); });
  EXPECT_NE(gap.find("id 1"), std::string::npos) << gap;
  fs::remove_all(dir);
}

fs::path shared_dir() {
  const char* env = std::getenv("TRIAGE_SHARED_DIR");
  return env ? fs::path(env) : fs::path(TRIAGE_SHARED_DIR);
}

TEST(SentencePiece, RawAndFairseqIds) {
  const fs::path model = shared_dir() / "fixtures" / "sentencepiece" / "test_model.model";
  if (!fs::exists(model)) GTEST_SKIP() << "shared fixtures absent: " << model;
  auto raw = SentencePieceTokenizer::from_file(model);
  const std::string text = "Hello w\u00f6rld";
  const Encoding r = raw->encode(text, false);
  ASSERT_GT(r.size(), 2u);
  EXPECT_EQ(r.offsets.front().first, 0);
  EXPECT_EQ(r.offsets.back().second, 11);  // code points, not bytes
  for (const auto& [b, e] : r.offsets)
    EXPECT_FALSE(b == 5 && e > b) << "a piece's span starts at the space";  // trimmed
  EXPECT_EQ(raw->kind(), "sentencepiece");

  const fs::path dir = temp_dir("xlmr");
  fs::copy_file(model, dir / "sentencepiece.bpe.model");
  auto xlmr = load_tokenizer(dir);
  const Encoding x = xlmr->encode(text, true);
  ASSERT_EQ(x.size(), r.size() + 2);
  EXPECT_EQ(x.ids.front(), 0);  // <s>
  EXPECT_EQ(x.ids.back(), 2);   // </s>
  for (size_t i = 0; i < r.size(); ++i) {
    const int32_t expected = r.ids[i] == raw->special().unk ? 3 : r.ids[i] + 1;
    EXPECT_EQ(x.ids[i + 1], expected);
    EXPECT_EQ(x.offsets[i + 1], r.offsets[i]);
  }
  EXPECT_EQ(xlmr->vocab_size(), raw->vocab_size() + 2);
  EXPECT_EQ(xlmr->token_to_id("<pad>"), 1);
  EXPECT_EQ(xlmr->special().mask, raw->vocab_size() + 1);
  EXPECT_THROW(xlmr->encode("\xff"), InputError);
  fs::remove_all(dir);
}

TEST(SentencePiece, NotAModelIsInputError) {
  const fs::path dir = temp_dir("badspm");
  write(dir / "spiece.model", "not a model");
  const std::string e = error_of([&] { load_tokenizer(dir); });
  EXPECT_NE(e.find("spiece.model"), std::string::npos) << e;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace triage::data

// data::Regex: errors name where the pattern came from; escapes the class rewrite must keep.
TEST(Regex, InvalidPatternNamesWhereAndWhy) {
  try {
    triage::data::Regex re("( ?\\p{L}+", "tok.json: pre_tokenizer.pretokenizers[0].pattern.Regex");
    FAIL() << "no error for an unbalanced parenthesis";
  } catch (const triage::InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("tok.json: pre_tokenizer.pretokenizers[0].pattern.Regex: invalid regular expression '( ?\\p{L}+'"),
              std::string::npos) << m;
  }
}

TEST(Regex, EscapedBackslashIsNotAClass) {
  triage::data::Regex re("\\\\p\\{L\\}|\\w+", "test");  // a literal "\p{L}", or a word
  std::vector<std::pair<size_t, size_t>> m;
  re.find_all("x \\p{L} é", m);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0], (std::pair<size_t, size_t>{0, 1}));
  EXPECT_EQ(m[1], (std::pair<size_t, size_t>{2, 7}));
  EXPECT_EQ(m[2], (std::pair<size_t, size_t>{8, 10}));  // é: two bytes
}

// data::BpeModel from a tokenizer.json "model": the merge order, and errors that name the key.
TEST(Bpe, MergesByRankThenLeftmost) {
  const auto j = nlohmann::json::parse(R"({"type": "BPE", "dropout": null, "unk_token": "?",
    "vocab": {"?": 0, "a": 1, "b": 2, "ab": 3, "ba": 4, "aba": 5},
    "merges": [["a", "b"], "b a", ["ab", "a"]]})");
  const auto bpe = triage::data::BpeModel::from_json(j, "t.json: model");
  std::vector<triage::data::PieceToken> out;
  bpe.tokenize("abab", out);  // a b a b -> ab ab (rank 0, leftmost first); "ab ab" has no merge
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].id, 3);
  EXPECT_EQ(out[1].id, 3);
  EXPECT_EQ(out[1].begin, 2u);
  out.clear();
  bpe.tokenize("aba\xC3\xA9", out);  // a b a é -> aba ? (é unknown: unk, one character)
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].id, 5);
  EXPECT_EQ(out[1].id, 0);
  EXPECT_EQ(out[1].begin, 3u);
  EXPECT_EQ(out[1].end, 4u);
}

TEST(Bpe, BadModelsNameTheKey) {
  const auto err = [](const char* text) {
    try {
      triage::data::BpeModel::from_json(nlohmann::json::parse(text), "t.json: model");
    } catch (const triage::InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(err(R"({"vocab": {"a": 0, "b": 1}, "merges": [["a", "c"]]})").find("t.json: model.merges[0]: 'c' is not in the vocabulary"),
            std::string::npos);
  EXPECT_NE(err(R"({"vocab": {"a": 0, "b": 1}, "merges": ["a b"]})").find("the merged token 'ab' is not in the vocabulary"),
            std::string::npos);
  EXPECT_NE(err(R"({"vocab": {"a": 0, "b": 2}, "merges": []})").find("t.json: model.vocab: no token has id 1"),
            std::string::npos);
  EXPECT_NE(err(R"({"vocab": {"a": 0}, "merges": [], "dropout": 0.1})").find("t.json: model.dropout"), std::string::npos);
  EXPECT_NE(err(R"({"vocab": {"a": 0}, "merges": ["a"]})").find("t.json: model.merges[0]: expected"), std::string::npos);
}
