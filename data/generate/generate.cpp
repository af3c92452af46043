// Conversation assembly, JSONL output and the atomic three-file write. Each conversation has
// its own random stream derived from (seed, split, index), so its content does not depend on
// the split sizes; intents are balanced in blocks of eight (a fresh permutation per block).
#include "data/generate/generate.h"

#include <unistd.h>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>

#include "core/error.h"
#include "data/generate/parts.h"

namespace triage::data {
namespace {

using gen::Label;
using gen::Rng;

constexpr uint64_t kIntentStream = 0x1D3A5F7C9E0B2D4FULL;

uint64_t derive(uint64_t seed, std::string_view split, uint64_t index, uint64_t stream) {
  uint64_t s = seed ^ gen::fnv1a(split);
  uint64_t a = gen::splitmix64(s);
  s = a ^ (index * 0xD1B54A32D192ED03ULL) ^ stream;
  return gen::splitmix64(s);
}

// Intent of conversation `index`: position index % 8 of a per-block permutation.
size_t intent_index(uint64_t seed, std::string_view split, size_t index) {
  const size_t n = gen::intent_phrases().size();
  Rng rng(derive(seed, split, index / n, kIntentStream));
  std::vector<size_t> perm(n);
  for (size_t i = 0; i < n; ++i) perm[i] = i;
  for (size_t i = n - 1; i > 0; --i) std::swap(perm[i], perm[rng.below(i + 1)]);
  return perm[index % n];
}

void validate(const GenerateOptions& o) {
  if (o.max_turns < 1 || o.max_turns > 12)
    throw InputError("generate: max_turns must be 1 to 12, got " + std::to_string(o.max_turns));
  auto rate = [](const char* name, double v) {
    if (!(v >= 0.0 && v <= 1.0))
      throw InputError(std::string("generate: ") + name + " must be in [0, 1], got " + std::to_string(v));
  };
  rate("single_turn_rate", o.single_turn_rate);
  rate("typo_rate", o.typo_rate);
  rate("lowercase_rate", o.lowercase_rate);
  rate("slang_rate", o.slang_rate);
}

// A template's "<topic>" prefix (empty when untagged) and the text after it.
std::pair<std::string_view, const char*> split_topic(const char* t) {
  if (t[0] != '<') return {{}, t};
  const char* close = std::strchr(t, '>');
  if (!close) throw Error(std::string("generate: unclosed '<' in template: ") + t);
  return {std::string_view(t + 1, static_cast<size_t>(close - t - 1)), close + 1};
}

// The first customer message: optional greeting and introduction, the intent's opening,
// optional detail, contact line and sign-off. Returns the opening's topic.
std::string_view opening_sentences(Rng& rng, const gen::IntentPhrases& ip, const gen::CommonPhrases& cp,
                                   bool after_agent_greeting, std::vector<const char*>& s) {
  if (!after_agent_greeting && rng.chance(0.45)) s.push_back(rng.pick(cp.greetings));
  if (rng.chance(after_agent_greeting ? 0.1 : 0.2)) s.push_back(rng.pick(cp.intros));
  auto [topic, opening] = split_topic(rng.pick(ip.openings));
  s.push_back(opening);
  if (rng.chance(0.4)) s.push_back(rng.pick(ip.details));
  if (rng.chance(0.12)) s.push_back(rng.pick(cp.contacts));
  if (rng.chance(0.35)) s.push_back(rng.pick(cp.closings));
  return topic;
}

// The agent's resolution: one for the opening's topic when there is one (mostly), otherwise
// one of the intent's untagged, fits-any-opening resolutions.
const char* pick_resolution(Rng& rng, const gen::IntentPhrases& ip, std::string_view topic) {
  std::vector<const char*> same, generic;
  for (const char* r : ip.resolutions) {
    auto [t, text] = split_topic(r);
    if (t.empty()) generic.push_back(text);
    else if (t == topic) same.push_back(text);
  }
  if (!same.empty() && (generic.empty() || rng.chance(0.85))) return rng.pick(same);
  return rng.pick(generic);
}

}  // namespace

const std::vector<std::string>& generate_entity_labels() {
  static const std::vector<std::string> kLabels = [] {
    std::vector<std::string> v;
    for (int i = 0; i < gen::kNumLabels; ++i) v.push_back(gen::label_name(static_cast<Label>(i)));
    return v;
  }();
  return kLabels;
}

const std::vector<std::string>& generate_intents() {
  static const std::vector<std::string> kIntents = [] {
    std::vector<std::string> v;
    for (const auto& ip : gen::intent_phrases()) v.push_back(ip.intent);
    return v;
  }();
  return kIntents;
}

GeneratedConversation generate_conversation(uint64_t seed, std::string_view split, size_t index,
                                            const GenerateOptions& options) {
  validate(options);
  const auto& phrases = gen::intent_phrases();
  const auto& common = gen::common_phrases();
  const gen::IntentPhrases& ip = phrases[intent_index(seed, split, index)];
  Rng rng(derive(seed, split, index, 0));
  gen::Context ctx(rng);

  gen::NoiseOptions noise;
  noise.typo_rate = options.typo_rate;
  noise.lowercase_rate = options.lowercase_rate;
  noise.slang_rate = options.slang_rate;
  noise.uppercase_rate = std::string_view(ip.intent) == "complaint" ? 0.12 : 0.02;

  size_t n_turns = 1;
  if (options.max_turns > 1 && !rng.chance(options.single_turn_rate))
    n_turns = static_cast<size_t>(rng.range(2, static_cast<int64_t>(options.max_turns)));
  const bool agent_first = n_turns >= 2 && rng.chance(0.25);

  // Entities the agent may ask for, in a random order.
  std::vector<Label> asks = ip.asks;
  for (size_t i = asks.size(); i > 1; --i) std::swap(asks[i - 1], asks[rng.below(i)]);
  size_t next_ask = 0;
  bool mentioned[gen::kNumLabels] = {};  // the agent does not ask for what was already said
  std::string_view topic;
  Label pending = Label::count;  // asked, not yet given (count: nothing pending)
  bool opened = false, replied = false, resolved = false;

  GeneratedConversation conv;
  conv.id = std::string(split) + "-" + std::to_string(index);
  conv.intent = ip.intent;
  for (size_t t = 0; t < n_turns; ++t) {
    const bool customer = agent_first ? (t % 2 == 1) : (t % 2 == 0);
    std::vector<const char*> sentences;
    if (customer) {
      if (!opened) {
        topic = opening_sentences(rng, ip, common, agent_first, sentences);
        opened = true;
      } else if (pending != Label::count) {
        sentences.push_back(rng.pick(common.gives[static_cast<int>(pending)]));
        pending = Label::count;
      } else if (rng.chance(0.4)) {
        sentences.push_back(rng.pick(ip.followups));
      } else {
        sentences.push_back(rng.pick(common.generic_followups));
      }
    } else if (!opened) {
      sentences.push_back(rng.pick(common.agent_greetings));
    } else {
      while (next_ask < asks.size() && mentioned[static_cast<int>(asks[next_ask])]) ++next_ask;
      const bool first_reply = !replied;
      replied = true;
      if (!resolved && next_ask < asks.size() && rng.chance(first_reply ? 0.7 : 0.3)) {
        if (first_reply && rng.chance(0.5)) sentences.push_back(rng.pick(common.agent_empathy));
        pending = asks[next_ask++];
        sentences.push_back(rng.pick(common.asks[static_cast<int>(pending)]));
      } else if (!resolved) {
        if (first_reply && rng.chance(0.3)) sentences.push_back(rng.pick(common.agent_empathy));
        sentences.push_back(pick_resolution(rng, ip, topic));
        resolved = true;
      } else {
        sentences.push_back(rng.pick(common.agent_closings));
      }
    }
    gen::RenderedTurn rt = gen::render_turn(rng, ctx, sentences, customer, noise);
    for (const gen::Span& sp : rt.spans) mentioned[static_cast<int>(sp.label)] = true;
    for (const gen::Span& sp : rt.spans) conv.entities.push_back({t, sp.start, sp.end, gen::label_name(sp.label)});
    conv.turns.push_back({customer ? "customer" : "agent", std::move(rt.text)});
  }
  return conv;
}

std::string conversation_to_jsonl(const GeneratedConversation& c) {
  nlohmann::ordered_json j;
  j["id"] = c.id;
  j["turns"] = nlohmann::ordered_json::array();
  for (const auto& t : c.turns) j["turns"].push_back({{"speaker", t.speaker}, {"text", t.text}});
  j["entities"] = nlohmann::ordered_json::array();
  for (const auto& e : c.entities)
    j["entities"].push_back({{"turn", e.turn}, {"start", e.start}, {"end", e.end}, {"label", e.label}});
  j["intent"] = c.intent;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::strict);
}

namespace {

void count(SplitSummary& s, const GeneratedConversation& c) {
  ++s.examples;
  s.turns += c.turns.size();
  if (c.turns.size() >= 2) ++s.multi_turn;
  s.entities += c.entities.size();
  for (const auto& e : c.entities) ++s.entity_labels[e.label];
  ++s.intents[c.intent];
}

void add(SplitSummary& into, const SplitSummary& s) {
  into.examples += s.examples;
  into.turns += s.turns;
  into.multi_turn += s.multi_turn;
  into.entities += s.entities;
  for (const auto& [k, v] : s.entity_labels) into.entity_labels[k] += v;
  for (const auto& [k, v] : s.intents) into.intents[k] += v;
}

}  // namespace

GenerateSummary generate_corpus(const std::filesystem::path& out_dir, uint64_t seed, const GenerateOptions& options) {
  namespace fs = std::filesystem;
  validate(options);
  std::error_code ec;
  if (fs::exists(out_dir, ec) && !fs::is_directory(out_dir, ec))
    throw InputError("generate: output path " + out_dir.string() + " exists and is not a directory");
  fs::create_directories(out_dir, ec);
  if (ec) throw InputError("generate: cannot create output directory " + out_dir.string() + ": " + ec.message());

  const std::pair<const char*, size_t> splits[] = {
      {"train", options.train}, {"dev", options.dev}, {"test", options.test}};
  const std::string tmp_suffix = ".tmp." + std::to_string(::getpid());
  std::vector<fs::path> temps;
  auto cleanup = [&temps] {
    std::error_code ignore;
    for (const auto& p : temps) fs::remove(p, ignore);
  };

  GenerateSummary summary;
  summary.total.name = "all";
  try {
    for (const auto& [name, n] : splits) {
      const fs::path tmp = out_dir / ("." + std::string(name) + ".jsonl" + tmp_suffix);
      temps.push_back(tmp);
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) throw Error("generate: cannot write " + tmp.string());
      SplitSummary s;
      s.name = name;
      for (size_t i = 0; i < n; ++i) {
        const GeneratedConversation c = generate_conversation(seed, name, i, options);
        out << conversation_to_jsonl(c) << '\n';
        count(s, c);
      }
      out.flush();
      if (!out) throw Error("generate: write failed for " + tmp.string());
      out.close();
      add(summary.total, s);
      summary.splits.push_back(std::move(s));
    }
    for (size_t i = 0; i < temps.size(); ++i) {
      const fs::path final_path = out_dir / (std::string(splits[i].first) + ".jsonl");
      fs::rename(temps[i], final_path, ec);
      if (ec) throw Error("generate: cannot rename " + temps[i].string() + " to " + final_path.string() + ": " + ec.message());
    }
  } catch (...) {
    cleanup();
    throw;
  }
  return summary;
}

}  // namespace triage::data
