// Synthetic corpus generator (data/generate): determinism, format, span validity in code
// points, label and intent coverage per split, variety (multi-turn, typos, casing), and the
// atomic write.
#include "data/generate/generate.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"

namespace fs = std::filesystem;
using triage::data::GenerateOptions;
using triage::data::generate_corpus;

namespace {

fs::path fresh_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("triage_generate_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(d);
  return d;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// UTF-8 -> code points (the generator only writes valid UTF-8; anything else fails here).
std::vector<char32_t> decode(const std::string& s) {
  std::vector<char32_t> out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    EXPECT_NE(n, 0) << "invalid UTF-8 lead byte in: " << s;
    if (n == 0 || i + n > s.size()) return out;
    char32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += n;
  }
  return out;
}

bool is_space(char32_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xA0; }
bool is_ascii_alnum(char32_t c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
std::string encode(const std::vector<char32_t>& cps, size_t b, size_t e) {
  std::string out;
  for (size_t i = b; i < e; ++i) {
    char32_t c = cps[i];
    if (c < 0x80) out += static_cast<char>(c);
    else if (c < 0x800) { out += static_cast<char>(0xC0 | (c >> 6)); out += static_cast<char>(0x80 | (c & 0x3F)); }
    else if (c < 0x10000) { out += static_cast<char>(0xE0 | (c >> 12)); out += static_cast<char>(0x80 | ((c >> 6) & 0x3F)); out += static_cast<char>(0x80 | (c & 0x3F)); }
    else { out += static_cast<char>(0xF0 | (c >> 18)); out += static_cast<char>(0x80 | ((c >> 12) & 0x3F)); out += static_cast<char>(0x80 | ((c >> 6) & 0x3F)); out += static_cast<char>(0x80 | (c & 0x3F)); }
  }
  return out;
}

// One default corpus shared by the read-only checks.
class DefaultCorpus : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fresh_dir("default"));
    summary_ = new triage::data::GenerateSummary(generate_corpus(*dir_, 42));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete summary_;
  }
  static fs::path* dir_;
  static triage::data::GenerateSummary* summary_;
};
fs::path* DefaultCorpus::dir_ = nullptr;
triage::data::GenerateSummary* DefaultCorpus::summary_ = nullptr;

const char* const kSplits[] = {"train", "dev", "test"};

}  // namespace

TEST(Generate, SameSeedSameBytesDifferentSeedDifferentBytes) {
  GenerateOptions o;
  o.train = 400, o.dev = 60, o.test = 60;
  const fs::path a = fresh_dir("a"), b = fresh_dir("b"), c = fresh_dir("c");
  generate_corpus(a, 7, o);
  generate_corpus(b, 7, o);
  generate_corpus(c, 8, o);
  for (const char* s : kSplits) {
    const std::string name = std::string(s) + ".jsonl";
    EXPECT_EQ(slurp(a / name), slurp(b / name)) << name;
    EXPECT_NE(slurp(a / name), slurp(c / name)) << name;
    EXPECT_FALSE(slurp(a / name).empty());
  }
  // The splits differ from each other too (each has its own stream).
  EXPECT_NE(slurp(a / "dev.jsonl"), slurp(a / "test.jsonl"));
  fs::remove_all(a.parent_path());
}

TEST(Generate, ConversationDoesNotDependOnSplitSizes) {
  GenerateOptions small, big;
  small.train = 50, small.dev = 5, small.test = 5;
  big.train = 300, big.dev = 40, big.test = 1;
  const fs::path a = fresh_dir("small"), b = fresh_dir("big");
  generate_corpus(a, 99, small);
  generate_corpus(b, 99, big);
  const auto la = lines_of(a / "train.jsonl"), lb = lines_of(b / "train.jsonl");
  ASSERT_EQ(la.size(), 50u);
  ASSERT_EQ(lb.size(), 300u);
  for (size_t i = 0; i < la.size(); ++i) EXPECT_EQ(la[i], lb[i]) << "line " << i + 1;
  EXPECT_EQ(lines_of(a / "test.jsonl")[0], lines_of(b / "test.jsonl")[0]);
  fs::remove_all(a.parent_path());
}

TEST_F(DefaultCorpus, DefaultSizesAndSummaryMatchTheFiles) {
  ASSERT_EQ(summary_->splits.size(), 3u);
  const size_t expected[] = {2000, 300, 300};
  for (size_t i = 0; i < 3; ++i) {
    const auto& s = summary_->splits[i];
    EXPECT_EQ(s.name, kSplits[i]);
    EXPECT_EQ(s.examples, expected[i]);
    const auto lines = lines_of(*dir_ / (s.name + ".jsonl"));
    EXPECT_EQ(lines.size(), expected[i]);
    size_t entities = 0, turns = 0;
    std::map<std::string, size_t> labels, intents;
    for (const auto& line : lines) {
      const auto j = nlohmann::json::parse(line);
      entities += j["entities"].size();
      turns += j["turns"].size();
      for (const auto& e : j["entities"]) ++labels[e["label"].get<std::string>()];
      ++intents[j["intent"].get<std::string>()];
    }
    EXPECT_EQ(s.entities, entities);
    EXPECT_EQ(s.turns, turns);
    EXPECT_EQ(s.entity_labels, labels);
    EXPECT_EQ(s.intents, intents);
  }
  EXPECT_EQ(summary_->total.examples, 2600u);
}

TEST_F(DefaultCorpus, EveryLineParsesWithTheIssue3Schema) {
  const std::set<std::string> labels(triage::data::generate_entity_labels().begin(),
                                     triage::data::generate_entity_labels().end());
  const std::set<std::string> intents(triage::data::generate_intents().begin(), triage::data::generate_intents().end());
  EXPECT_GE(labels.size(), 9u);
  EXPECT_GE(intents.size(), 8u);
  for (const char* s : kSplits) {
    std::set<std::string> ids;
    size_t n = 0;
    for (const auto& line : lines_of(*dir_ / (std::string(s) + ".jsonl"))) {
      ++n;
      SCOPED_TRACE(std::string(s) + ".jsonl:" + std::to_string(n));
      nlohmann::json j;
      ASSERT_NO_THROW(j = nlohmann::json::parse(line));
      ASSERT_TRUE(j.is_object());
      EXPECT_EQ(j.size(), 4u);
      ASSERT_TRUE(j["id"].is_string());
      EXPECT_TRUE(ids.insert(j["id"].get<std::string>()).second) << "duplicate id";
      ASSERT_TRUE(j["turns"].is_array());
      ASSERT_GE(j["turns"].size(), 1u);
      for (const auto& t : j["turns"]) {
        ASSERT_TRUE(t["speaker"].is_string());
        const std::string sp = t["speaker"];
        EXPECT_TRUE(sp == "customer" || sp == "agent") << sp;
        ASSERT_TRUE(t["text"].is_string());
        EXPECT_FALSE(t["text"].get<std::string>().empty());
      }
      ASSERT_TRUE(j["entities"].is_array());
      for (const auto& e : j["entities"]) {
        ASSERT_TRUE(e["turn"].is_number_unsigned());
        ASSERT_TRUE(e["start"].is_number_unsigned());
        ASSERT_TRUE(e["end"].is_number_unsigned());
        EXPECT_TRUE(labels.count(e["label"].get<std::string>())) << e.dump();
      }
      EXPECT_TRUE(intents.count(j["intent"].get<std::string>())) << j["intent"];
      // The customer always speaks, and the intent is stated in a customer turn.
      bool customer = false;
      for (const auto& t : j["turns"]) customer |= t["speaker"] == "customer";
      EXPECT_TRUE(customer);
    }
  }
}

TEST_F(DefaultCorpus, SpansAreValidCodePointRangesWithCleanEdgesAndNoOverlap) {
  size_t spans_after_non_ascii = 0, non_ascii_entities = 0;
  for (const char* s : kSplits) {
    size_t n = 0;
    for (const auto& line : lines_of(*dir_ / (std::string(s) + ".jsonl"))) {
      ++n;
      SCOPED_TRACE(std::string(s) + ".jsonl:" + std::to_string(n));
      const auto j = nlohmann::json::parse(line);
      std::vector<std::vector<char32_t>> texts;
      for (const auto& t : j["turns"]) texts.push_back(decode(t["text"].get<std::string>()));
      size_t prev_turn = 0, prev_end = 0;
      bool first = true;
      for (const auto& e : j["entities"]) {
        const size_t turn = e["turn"], b = e["start"], en = e["end"];
        ASSERT_LT(turn, texts.size());
        const auto& cps = texts[turn];
        ASSERT_LT(b, en) << e.dump();
        ASSERT_LE(en, cps.size()) << e.dump();
        // Sorted by (turn, start) and never overlapping.
        if (!first) {
          EXPECT_GE(turn, prev_turn);
          if (turn == prev_turn) {
            EXPECT_GE(b, prev_end) << "overlap: " << e.dump();
          }
        }
        first = false;
        prev_turn = turn, prev_end = en;
        const std::string span = encode(cps, b, en);
        EXPECT_FALSE(is_space(cps[b])) << "'" << span << "'";
        EXPECT_FALSE(is_space(cps[en - 1])) << "'" << span << "'";
        const char32_t last = cps[en - 1];
        EXPECT_TRUE(last != '.' && last != ',' && last != '!' && last != '?' && last != ';' && last != ':')
            << "trailing punctuation: '" << span << "'";
        // Word boundaries: a span is never glued to a neighbouring letter or digit.
        if (b > 0) {
          EXPECT_FALSE(is_ascii_alnum(cps[b - 1])) << "'" << span << "' in " << line;
        }
        if (en < cps.size()) {
          EXPECT_FALSE(is_ascii_alnum(cps[en])) << "'" << span << "' in " << line;
        }
        // Code points, not bytes: count spans preceded by a non-ASCII character.
        for (size_t k = 0; k < b; ++k) {
          if (cps[k] >= 0x80) {
            ++spans_after_non_ascii;
            break;
          }
        }
        for (size_t k = b; k < en; ++k) {
          if (cps[k] >= 0x80) {
            ++non_ascii_entities;
            break;
          }
        }
        // A light format check per label.
        const std::string label = e["label"];
        if (label == "email") {
          EXPECT_NE(span.find('@'), std::string::npos) << span;
        }
        if (label == "amount" || label == "phone" || label == "order_id") {
          EXPECT_NE(span.find_first_of("0123456789"), std::string::npos) << label << ": " << span;
        }
      }
    }
  }
  EXPECT_GT(spans_after_non_ascii, 100u);
  EXPECT_GT(non_ascii_entities, 100u);
}

TEST_F(DefaultCorpus, EveryLabelAndIntentInEverySplitWithReasonableCounts) {
  for (const auto& s : summary_->splits) {
    SCOPED_TRACE(s.name);
    const size_t min_label = s.name == "train" ? 150 : 20;
    for (const auto& label : triage::data::generate_entity_labels()) {
      auto it = s.entity_labels.find(label);
      ASSERT_NE(it, s.entity_labels.end()) << label;
      EXPECT_GE(it->second, min_label) << label;
    }
    for (const auto& intent : triage::data::generate_intents()) {
      auto it = s.intents.find(intent);
      ASSERT_NE(it, s.intents.end()) << intent;
      // Balanced in blocks of eight: every intent within one of n / 8.
      EXPECT_GE(it->second, s.examples / 8) << intent;
      EXPECT_LE(it->second, s.examples / 8 + 1) << intent;
    }
  }
}

TEST_F(DefaultCorpus, TurnCountsVaryFromOneToMax) {
  std::map<size_t, size_t> by_turns;
  size_t agent_first = 0;
  for (const auto& line : lines_of(*dir_ / "train.jsonl")) {
    const auto j = nlohmann::json::parse(line);
    ++by_turns[j["turns"].size()];
    agent_first += j["turns"][0]["speaker"] == "agent";
  }
  for (size_t t = 1; t <= 6; ++t) EXPECT_GE(by_turns[t], 100u) << t << " turns";
  EXPECT_EQ(by_turns.rbegin()->first, 6u);
  EXPECT_GT(summary_->splits[0].multi_turn, 1200u);
  EXPECT_GT(agent_first, 100u);
}

TEST_F(DefaultCorpus, CustomerTextHasTyposCasingAndSlang) {
  size_t customer_turns = 0, all_lower = 0, has_upper_word = 0, misspelled = 0, slang = 0, curly = 0;
  const std::vector<std::string> kMisspellings = {"recieve", "adress", "cancle", "pasword", "acount",
                                                  "delivary", "refnud", "untill", "wich", "invoce"};
  const std::vector<std::string> kSlang = {" pls", " plz", " u ", " ur ", "thx", " bc ", " rly"};
  std::set<std::string> openings;
  for (const auto& line : lines_of(*dir_ / "train.jsonl")) {
    const auto j = nlohmann::json::parse(line);
    for (const auto& t : j["turns"]) {
      if (t["speaker"] != "customer") continue;
      const std::string text = t["text"];
      ++customer_turns;
      bool any_upper = false, any_alpha = false;
      for (char c : text) any_upper |= (c >= 'A' && c <= 'Z'), any_alpha |= (c >= 'a' && c <= 'z');
      all_lower += any_alpha && !any_upper;
      has_upper_word += text.find("UNACCEPTABLE") != std::string::npos || text.find("THE ") != std::string::npos ||
                        text.find("MY ") != std::string::npos;
      for (const auto& m : kMisspellings) misspelled += text.find(m) != std::string::npos;
      for (const auto& s : kSlang) slang += (" " + text + " ").find(s) != std::string::npos;
      curly += text.find("\xE2\x80\x99") != std::string::npos;
      openings.insert(text);
    }
  }
  EXPECT_GT(all_lower, customer_turns / 10);
  EXPECT_GT(has_upper_word, 5u);
  EXPECT_GT(misspelled, 10u);
  EXPECT_GT(slang, 50u);
  EXPECT_GT(curly, 20u);
  // Phrasing variety: nearly every customer turn is distinct text.
  EXPECT_GT(openings.size(), customer_turns * 7 / 10);
}

TEST(Generate, NoiseKnobsTurnOff) {
  GenerateOptions o;
  o.train = 400, o.dev = 1, o.test = 1;
  o.typo_rate = 0, o.slang_rate = 0, o.lowercase_rate = 0;
  o.single_turn_rate = 1.0;
  const fs::path d = fresh_dir("clean");
  generate_corpus(d, 3, o);
  for (const auto& line : lines_of(d / "train.jsonl")) {
    const auto j = nlohmann::json::parse(line);
    ASSERT_EQ(j["turns"].size(), 1u);
    const std::string text = j["turns"][0]["text"];
    for (const char* m : {"recieve", "adress", "cancle", "pasword", "acount", "thx", " u "})
      EXPECT_EQ(text.find(m), std::string::npos) << m << " in " << text;
  }
  fs::remove_all(d.parent_path());
}

TEST(Generate, WritesAtomicallyAndLeavesNoTemporaries) {
  GenerateOptions o;
  o.train = 20, o.dev = 3, o.test = 3;
  const fs::path d = fresh_dir("atomic");
  fs::create_directories(d);
  std::ofstream(d / "train.jsonl") << "old content\n";
  generate_corpus(d, 1, o);
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(d)) names.insert(e.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"train.jsonl", "dev.jsonl", "test.jsonl"}));
  EXPECT_EQ(lines_of(d / "train.jsonl").size(), 20u);

  // Bad options: InputError, nothing written, nothing left behind.
  const fs::path bad = fresh_dir("bad");
  GenerateOptions invalid = o;
  invalid.typo_rate = 1.5;
  EXPECT_THROW(generate_corpus(bad, 1, invalid), triage::InputError);
  EXPECT_FALSE(fs::exists(bad));
  invalid = o;
  invalid.max_turns = 0;
  EXPECT_THROW(generate_corpus(bad, 1, invalid), triage::InputError);

  // The output path is a file: InputError naming it, the file untouched.
  const fs::path file = d / "not_a_dir";
  std::ofstream(file) << "x";
  try {
    generate_corpus(file, 1, o);
    ADD_FAILURE() << "expected InputError";
  } catch (const triage::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not_a_dir"), std::string::npos) << e.what();
  }
  EXPECT_EQ(slurp(file), "x");
  fs::remove_all(d.parent_path());
}

TEST(Generate, MaxTurnsIsRespected) {
  GenerateOptions o;
  o.train = 300, o.dev = 1, o.test = 1, o.max_turns = 3;
  const fs::path d = fresh_dir("turns");
  generate_corpus(d, 5, o);
  size_t three = 0;
  for (const auto& line : lines_of(d / "train.jsonl")) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_LE(j["turns"].size(), 3u);
    three += j["turns"].size() == 3;
  }
  EXPECT_GT(three, 50u);
  fs::remove_all(d.parent_path());
}

// The PRNG and every formatting step are specified in integer arithmetic, so these bytes are
// the same on every machine. When the phrasing tables change on purpose, update the hash
// (the test prints the new one) and say so in the commit: the quickstart corpus changed.
TEST(Generate, GoldenHashPinsTheCorpus) {
  GenerateOptions o;
  o.train = 200, o.dev = 20, o.test = 20;
  const fs::path d = fresh_dir("golden");
  generate_corpus(d, 2024, o);
  uint64_t h = 0xCBF29CE484222325ULL;
  for (const char* s : kSplits)
    for (unsigned char c : slurp(d / (std::string(s) + ".jsonl"))) h = (h ^ c) * 0x100000001B3ULL;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  EXPECT_EQ(std::string(hex), "0ffd465b3823e0c6") << "corpus hash for seed 2024 is " << hex;
  fs::remove_all(d.parent_path());
}
