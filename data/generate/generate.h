// Synthetic customer-support corpus (issue 3, `triage-data generate`): multi-turn
// agent/customer transcripts in the JSONL form the readers take, with character-span
// entities (code-point offsets, end exclusive) and one routing intent per conversation.
// Output depends only on (seed, options): byte-identical across runs, machines and
// standard libraries. The quickstart fine-tunes on it; docs/sample_corpus.md describes it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace triage::data {

struct GenerateOptions {
  size_t train = 2000;            // conversations in train.jsonl
  size_t dev = 300;               // conversations in dev.jsonl
  size_t test = 300;              // conversations in test.jsonl
  size_t max_turns = 6;           // longest conversation, in turns (1 to 12)
  double single_turn_rate = 0.25; // share of conversations that are one customer message
  double typo_rate = 0.03;        // chance per eligible non-entity word of a customer typo
  double lowercase_rate = 0.30;   // chance a customer turn is typed all in lower case
  double slang_rate = 0.15;       // chance per eligible word of "pls", "u", "thx", ...
};

// Counts of what one split (or the whole corpus) holds.
struct SplitSummary {
  std::string name;                                // "train", "dev", "test" or "all"
  size_t examples = 0;                             // conversations
  size_t turns = 0;                                // turns over all conversations
  size_t multi_turn = 0;                           // conversations with 2 or more turns
  size_t entities = 0;                             // entity spans
  std::map<std::string, size_t> entity_labels;     // spans per entity label
  std::map<std::string, size_t> intents;           // conversations per intent
};

struct GenerateSummary {
  std::vector<SplitSummary> splits;  // train, dev, test in that order
  SplitSummary total;                // the three added up, name "all"
};

// One generated conversation, typed (the JSON is produced only when writing).
struct GeneratedTurn {
  std::string speaker;  // "customer" or "agent"
  std::string text;     // UTF-8
};
struct GeneratedEntity {
  size_t turn = 0;      // index into turns
  size_t start = 0;     // code point offset into the turn's text
  size_t end = 0;       // exclusive
  std::string label;    // one of generate_entity_labels()
};
struct GeneratedConversation {
  std::string id;       // "<split>-<index>", e.g. "train-17"
  std::vector<GeneratedTurn> turns;
  std::vector<GeneratedEntity> entities;  // sorted by (turn, start), never overlapping
  std::string intent;   // one of generate_intents()
};

// The label sets the generator uses (fixed order; every one occurs in each default split).
const std::vector<std::string>& generate_entity_labels();
const std::vector<std::string>& generate_intents();

// Conversation `index` of `split`. Depends only on (seed, split, index, options' style
// knobs), not on the split sizes: growing train keeps its first conversations unchanged.
GeneratedConversation generate_conversation(uint64_t seed, std::string_view split, size_t index,
                                            const GenerateOptions& options = {});

// The JSONL line (no trailing newline) for one conversation:
// {"id","turns":[{"speaker","text"}],"entities":[{"turn","start","end","label"}],"intent"}.
std::string conversation_to_jsonl(const GeneratedConversation& conversation);

// Writes out_dir/{train,dev,test}.jsonl atomically (each to a temporary name in out_dir, all
// renamed only once all three are complete; nothing is left behind on failure), creating
// out_dir if needed. Byte-identical for the same seed and options. Throws InputError on
// invalid options or an unusable out_dir, Error on I/O failure.
GenerateSummary generate_corpus(const std::filesystem::path& out_dir, uint64_t seed,
                                const GenerateOptions& options = {});

}  // namespace triage::data
