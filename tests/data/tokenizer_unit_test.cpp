// Unit tests for the tokenizers: Unicode tables, normalization, pre-tokenization, WordPiece
// greedy longest-match, added/special tokens, offsets, invalid UTF-8, loading and saving.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/align.h"
#include "data/bert_normalizer.h"
#include "data/bpe.h"
#include "data/json_tokenizer.h"
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

  write(dir / "tokenizer.json", R"({"model": {"type": "Bpe", "vocab": {}}})");
  const std::string model = error_of([&] { load_tokenizer(dir); });
  EXPECT_NE(model.find("tokenizer.json: model: type 'Bpe' is not supported (supported: BPE, WordPiece, Unigram, "
                       "WordLevel)"), std::string::npos) << model;

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

// A byte-level BPE small enough to follow by hand: "hello world" is <s> hello Ġworld </s>.
std::string tiny_roberta(const std::string& post_processor, const std::string& extra = "") {
  return R"({"version": "1.0", "added_tokens": [
      {"id": 0, "content": "<s>", "special": true, "lstrip": false, "rstrip": false, "single_word": false, "normalized": false},
      {"id": 1, "content": "</s>", "special": true, "lstrip": false, "rstrip": false, "single_word": false, "normalized": false},
      {"id": 2, "content": "<mask>", "special": true, "lstrip": true, "rstrip": false, "single_word": false, "normalized": false}],
    "normalizer": null,
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
    "post_processor": )" + post_processor + R"(, "decoder": null)" + extra + R"(,
    "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
      "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false,
      "vocab": {"<s>": 0, "</s>": 1, "<mask>": 2, "h": 3, "e": 4, "l": 5, "o": 6, "\u0120": 7, "w": 8, "r": 9,
                "d": 10, "he": 11, "ll": 12, "hell": 13, "hello": 14, "\u0120w": 15, "or": 16,
                "\u0120wor": 17, "\u0120worl": 18, "\u0120world": 19},
      "merges": ["h e", "l l", "he ll", "hell o", "\u0120 w", "o r", "\u0120w or", "\u0120wor l", "\u0120worl d"]}})";
}

const char* kRoberta = R"({"type": "RobertaProcessing", "sep": ["</s>", 1], "cls": ["<s>", 0],
                            "trim_offsets": true, "add_prefix_space": false})";

TEST(JsonTokenizer, RobertaTrimsOffsetsAndWraps) {
  const auto t = triage::data::JsonTokenizer::from_string(tiny_roberta(kRoberta), "t.json", "/nonexistent");
  std::vector<int32_t> words;
  const Encoding e = t->encode_with_words("hello world", true, words);
  EXPECT_EQ(e.ids, (std::vector<int32_t>{0, 14, 19, 1}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 0}, {0, 5}, {6, 11}, {0, 0}}));  // the space trimmed off
  EXPECT_EQ(e.special, (std::vector<uint8_t>{1, 0, 0, 1}));
  EXPECT_EQ(words, (std::vector<int32_t>{-1, 0, 1, -1}));
  EXPECT_EQ(t->special().cls, 0);
  EXPECT_EQ(t->special().sep, 1);
  EXPECT_EQ(t->special().mask, 2);
  // <mask> takes the space before it (lstrip), and trimming gives it back
  const Encoding m = t->encode("hello <mask>", false);
  EXPECT_EQ(m.ids, (std::vector<int32_t>{14, 2}));
  EXPECT_EQ(m.offsets, (Offsets{{0, 5}, {6, 12}}));

  const auto untrimmed = triage::data::JsonTokenizer::from_string(
      tiny_roberta(R"({"type": "RobertaProcessing", "sep": ["</s>", 1], "cls": ["<s>", 0],
                       "trim_offsets": false, "add_prefix_space": false})"), "t.json", "/nonexistent");
  EXPECT_EQ(untrimmed->encode("hello world", false).offsets, (Offsets{{0, 5}, {5, 11}}));
  EXPECT_EQ(untrimmed->encode("hello <mask>", false).offsets, (Offsets{{0, 5}, {5, 12}}));
}

TEST(JsonTokenizer, BadFilesNameTheFileAndJsonPath) {
  const auto err = [](const std::string& text) {
    return error_of([&] { triage::data::JsonTokenizer::from_string(text, "DIR/tokenizer.json", "/nonexistent"); });
  };
  const std::string truncated = tiny_roberta(kRoberta).substr(0, 300);
  EXPECT_NE(err(truncated).find("DIR/tokenizer.json: not valid JSON"), std::string::npos) << err(truncated);
  // a number past double's range is nlohmann's out_of_range, not parse_error (found by fuzzing)
  EXPECT_NE(err("5555555255555E555555").find("DIR/tokenizer.json: not valid JSON"), std::string::npos);

  std::string text = tiny_roberta(kRoberta);
  std::string pre = text;
  pre.replace(pre.find(R"("type": "ByteLevel")"), 19, R"("type": "FancySplit")");
  EXPECT_NE(err(pre).find("DIR/tokenizer.json: pre_tokenizer: type 'FancySplit' is not supported (supported: "
                          "BertPreTokenizer, ByteLevel"), std::string::npos) << err(pre);
  std::string option = text;
  option.replace(option.find(R"("use_regex": true)"), 17, R"("use_regexp": true)");
  EXPECT_NE(err(option).find("pre_tokenizer: option 'use_regexp' is not supported by ByteLevel (supported: "
                             "add_prefix_space, trim_offsets, use_regex)"), std::string::npos) << err(option);

  const std::string tmpl = tiny_roberta(R"({"type": "TemplateProcessing",
      "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
      "pair": [], "special_tokens": {}})");
  EXPECT_NE(err(tmpl).find("post_processor.single[0]: the template names special token '[CLS]', which "
                           "DIR/tokenizer.json: post_processor.special_tokens does not define"),
            std::string::npos) << err(tmpl);

  // found by fuzzing: a template id past the vocabulary, an unknown piece in "pair"
  const std::string far = tiny_roberta(R"({"type": "TemplateProcessing",
      "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
      "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [600], "tokens": ["<s>"]}}})");
  EXPECT_NE(err(far).find("DIR/tokenizer.json: post_processor: special token id 600 is outside the vocabulary (20 "
                          "tokens, added tokens included)"), std::string::npos) << err(far);
  const std::string pair = tiny_roberta(R"({"type": "TemplateProcessing",
      "single": [{"Sequence": {"id": "A", "type_id": 0}}],
      "pair": [{"SpecialTkeon": {"id": "<s>", "type_id": 0}}], "special_tokens": {}})");
  EXPECT_NE(err(pair).find("post_processor.pair[0]: expected {\"SpecialToken\": ...} or {\"Sequence\": ...}"),
            std::string::npos) << err(pair);

  std::string overlap = text;
  overlap.replace(overlap.find(R"({"id": 2, "content": "<mask>")"), 29, R"({"id": 2, "content": "hello")");
  EXPECT_NE(err(overlap).find("added_tokens[2]: 'hello' has id 2 but the model vocabulary gives it id 14"),
            std::string::npos) << err(overlap);
  std::string dup_id = text;
  dup_id.replace(dup_id.find(R"("\u0120world": 19)"), 17, R"("\u0120world": 18)");
  EXPECT_NE(err(dup_id).find("model.vocab: id 18 is given to both"), std::string::npos) << err(dup_id);

  const std::string regex = tiny_roberta(kRoberta, R"(, "normalizer": {"type": "Replace", "pattern": {"Regex": "(a"}, "content": "b"})");
  EXPECT_NE(err(regex).find("normalizer.pattern: invalid regular expression '(a'"), std::string::npos) << err(regex);
  const std::string top = tiny_roberta(kRoberta, R"(, "normaliser": null)");
  EXPECT_NE(err(top).find("unknown top-level key 'normaliser'"), std::string::npos) << err(top);
  const std::string byte_level = tiny_roberta(kRoberta, R"(, "normalizer": {"type": "Sequence", "normalizers": [{"type": "Lowercase"}, {"type": "ByteLevel"}]})");
  EXPECT_NE(err(byte_level).find("normalizer.normalizers[1]: type 'ByteLevel' is not supported (supported: "
                                 "BertNormalizer, NFC, NFD, NFKC, NFKD"), std::string::npos) << err(byte_level);
  const std::string base64 = tiny_roberta(kRoberta, R"(, "normalizer": {"type": "Precompiled", "precompiled_charsmap": "AAA*"})");
  EXPECT_NE(err(base64).find("normalizer.precompiled_charsmap: not valid base64"), std::string::npos) << err(base64);
  // a trie size of 0x10000 bytes in a 4-byte blob
  const std::string cut = tiny_roberta(kRoberta, R"(, "normalizer": {"type": "Precompiled", "precompiled_charsmap": "AAABAA=="})");
  EXPECT_NE(err(cut).find("normalizer.precompiled_charsmap: the trie needs 65536 bytes, the charsmap has 0"),
            std::string::npos) << err(cut);
}

// A Unigram tokenizer.json: no stages, vocab with scores.
std::string tiny_unigram(const std::string& model_extra, const std::string& vocab_extra = "") {
  return R"({"version": "1.0", "added_tokens": [], "normalizer": null, "pre_tokenizer": null,
    "post_processor": null, "decoder": null,
    "model": {"type": "Unigram", )" + model_extra + R"("vocab": [["<unk>", 0.0], ["a", -1.0], ["b", -1.0],
      ["ab", -1.5], ["abc", -5.0], ["c", -2.0], ["é", -1.0])" + vocab_extra + "]}}";
}

TEST(Unigram, BestScoreSegmentationAndFusedUnknowns) {
  using triage::data::JsonTokenizer;
  const auto t = JsonTokenizer::from_string(tiny_unigram(R"("unk_id": 0, )"), "u.json", "/nonexistent");
  // ab + c (-3.5) beats a + b + c (-4) and abc (-5)
  EXPECT_EQ(t->encode("abc", false).ids, (std::vector<int32_t>{3, 5}));
  // x and y are in no token: each scores min - 10, and the two fuse into one unk
  const Encoding u = t->encode("xyéab", false);
  EXPECT_EQ(u.ids, (std::vector<int32_t>{0, 6, 3}));
  EXPECT_EQ(u.offsets, (Offsets{{0, 2}, {2, 3}, {3, 5}}));  // code points
  // byte fallback: the fused unknown as its bytes, each with the whole span
  const auto f = JsonTokenizer::from_string(
      tiny_unigram(R"("unk_id": 0, "byte_fallback": true, )", R"(, ["<0x78>", -9.0], ["<0x79>", -9.0])"), "u.json",
      "/nonexistent");
  const Encoding b = f->encode("xya", false);
  EXPECT_EQ(b.ids, (std::vector<int32_t>{7, 8, 1}));
  EXPECT_EQ(b.offsets, (Offsets{{0, 2}, {0, 2}, {2, 3}}));
  // a byte missing from the vocabulary: unk
  EXPECT_EQ(f->encode("xz", false).ids, (std::vector<int32_t>{0}));
}

TEST(Unigram, BadModelsNameTheKey) {
  using triage::data::JsonTokenizer;
  const auto err = [](const std::string& text) {
    return error_of([&] { JsonTokenizer::from_string(text, "DIR/tokenizer.json", "/nonexistent"); });
  };
  const std::string unk = tiny_unigram(R"("unk_id": 7, )");
  EXPECT_NE(err(unk).find("DIR/tokenizer.json: model.unk_id: 7 is outside the vocabulary of 7 tokens"),
            std::string::npos) << err(unk);
  const std::string entry = tiny_unigram(R"("unk_id": 0, )", R"(, ["d"])");
  EXPECT_NE(err(entry).find("DIR/tokenizer.json: model.vocab[7]: expected [token, score], found [\"d\"]"),
            std::string::npos) << err(entry);
  const auto no_unk = JsonTokenizer::from_string(tiny_unigram(""), "DIR/tokenizer.json", "/nonexistent");
  EXPECT_EQ(no_unk->encode("ab", false).ids, (std::vector<int32_t>{3}));
  const std::string missing = error_of([&] { no_unk->encode("abx", false); });
  EXPECT_NE(missing.find("DIR/tokenizer.json: model: 'x' is in no token and the model has no unk_id"),
            std::string::npos) << missing;
}

TEST(JsonTokenizer, PreSplitWordsNeedPrefixSpace) {
  const auto t = triage::data::JsonTokenizer::from_string(tiny_roberta(kRoberta), "t.json", "/nonexistent");
  std::vector<int32_t> words;
  const std::string err = error_of([&] { t->encode_words({"hello", "world"}, true, words); });
  EXPECT_NE(err.find("add_prefix_space"), std::string::npos) << err;

  std::string with_prefix = tiny_roberta(R"({"type": "RobertaProcessing", "sep": ["</s>", 1], "cls": ["<s>", 0],
                                             "trim_offsets": true, "add_prefix_space": true})");
  with_prefix.replace(with_prefix.find(R"("add_prefix_space": false)"), 25, R"("add_prefix_space": true)");
  const auto p = triage::data::JsonTokenizer::from_string(with_prefix, "t.json", "/nonexistent");
  const Encoding e = p->encode_words({"hello", "world"}, true, words);
  EXPECT_EQ(e.ids, (std::vector<int32_t>{0, 7, 14, 19, 1}));  // Ġ hello (no "Ġ h" merge), Ġworld
  EXPECT_EQ(words, (std::vector<int32_t>{-1, 0, 0, 1, -1}));
  // offsets within each word; the lone added space "Ġ" (range of "h") is kept as the first
  // token's prefix at its start but trimmed as a trailing space: empty, as in tokenizers
  EXPECT_EQ(e.offsets, (Offsets{{0, 0}, {0, 0}, {0, 5}, {0, 5}, {0, 0}}));
}

// Examples whose words came from the file (CoNLL, JointBERT) are encoded as pre-split words
// where the tokenizer encodes those differently from their text; elsewhere as the text.
TEST(Align, PreSplitExamplesEncodeWordByWord) {
  std::string with_prefix = tiny_roberta(R"({"type": "RobertaProcessing", "sep": ["</s>", 1], "cls": ["<s>", 0],
                                             "trim_offsets": true, "add_prefix_space": true})");
  with_prefix.replace(with_prefix.find(R"("add_prefix_space": false)"), 25, R"("add_prefix_space": true)");
  const auto words_tok = triage::data::JsonTokenizer::from_string(with_prefix, "t.json", "/nonexistent");
  Example e;
  e.text = "he";
  e.words = {{0, 1}, {1, 2}};  // "h" and "e", as a reader could hand them over
  const auto as_text = triage::data::encode_example(*words_tok, e, nullptr, {});
  EXPECT_EQ(as_text.ids, (std::vector<int32_t>{7, 11}));  // Ġ, he
  e.pre_split = true;
  const auto as_words = triage::data::encode_example(*words_tok, e, nullptr, {});
  EXPECT_EQ(as_words.ids, (std::vector<int32_t>{7, 3, 7, 4}));  // Ġ h, Ġ e: each word on its own
  EXPECT_EQ(as_words.word_ids, (std::vector<int32_t>{-1, 0, -1, 1}));  // the bare Ġ spans nothing
  EXPECT_EQ(as_words.offsets[1], (triage::data::CharRange{0, 1}));
  EXPECT_EQ(as_words.offsets[3], (triage::data::CharRange{1, 2}));  // moved to the word's place
  // add_prefix_space false: transformers refuses pre-split words; triage encodes the text
  const auto no_prefix = triage::data::JsonTokenizer::from_string(tiny_roberta(kRoberta), "t.json", "/nonexistent");
  EXPECT_EQ(triage::data::encode_example(*no_prefix, e, nullptr, {}).ids, (std::vector<int32_t>{11}));
}

TEST(LoadTokenizer, VocabJsonAndMergesNeedRobertaClass) {
  triage::testing::TempDir dir;
  dir.write("vocab.json", R"({"a": 0, "b": 1, "ab": 2})");
  dir.write("merges.txt", "#version: 0.2\na b\n");
  dir.write("tokenizer_config.json", R"({"tokenizer_class": "GPT2Tokenizer"})");
  const std::string err = error_of([&] { load_tokenizer(dir.path()); });
  EXPECT_NE(err.find("tokenizer_class 'GPT2Tokenizer' with vocab.json + merges.txt"), std::string::npos) << err;
  dir.write("tokenizer_config.json", R"({"tokenizer_class": "RobertaTokenizer"})");
  EXPECT_EQ(load_tokenizer(dir.path())->encode("ab", false).ids, (std::vector<int32_t>{2}));
  dir.write("merges.txt", "#version: 0.2\na b c\n");
  const std::string merges = error_of([&] { load_tokenizer(dir.path()); });
  EXPECT_NE(merges.find("merges.txt:2: expected \"left right\""), std::string::npos) << merges;
}

}  // namespace
}  // namespace triage::data
