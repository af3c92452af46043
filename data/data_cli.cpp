// triage-data: validate, stats, convert, generate (see data_cli.h and docs/data.md).
#include "data/data_cli.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>

#include "core/error.h"
#include "core/run_main.h"
#include "data/corpus_stats.h"
#include "data/label_config.h"
#include "data/labels.h"
#include "data/readers.h"
#include "data/tokenizer.h"
#include "data/writers.h"
#ifdef TRIAGE_HAVE_GENERATE
#include "data/generate/generate.h"
#endif

namespace triage::data {

namespace fs = std::filesystem;

namespace {

constexpr const char* kUsage = R"(usage: triage-data COMMAND ...

  validate PATH [--format conll|jointbert|jsonl|labelstudio|doccano|prodigy]
                [--scheme io|iob1|iob2|bioes] [--tag-column N] [--quiet]
                [--ls-text-key KEY] [--ls-annotator EMAIL|ID] [--ls-predictions]
                [--schema LABEL_CONFIG.xml|SCHEMA.json|MODEL_DIR]
      Reads every example; exit 0 with a summary, or 2 with every error as file:line.
      --schema: every entity label and intent must be one the schema lists (a Label
      Studio labeling config, a {"entity_types", "intents"} JSON or a triage.json, or
      a checkpoint directory: the labels its model was trained on).
  stats PATH [--format F] [--tokenizer MODEL_DIR] [--max-seq-len 512] [--stride 128] [--json]
      Examples, words, sub-words (with --tokenizer), label and intent counts, length
      percentiles, examples longer than max_seq_len.
  convert IN OUT --to conll|jointbert|jsonl|labelstudio|doccano|prodigy [--format F] [--scheme S]
          [--out-scheme S]
      Lossless where the target format allows; every loss is reported as a warning.
  labelconfig PATH|MODEL_DIR [--format F]
      Prints the Label Studio labeling config (XML) for the labels of a data set or
      of a checkpoint: the project setup that triage's tasks import into.
  generate OUT_DIR --seed N [--train N] [--dev N] [--test N]
      Synthetic multi-turn support corpus (train/dev/test.jsonl).

PATH is a file (.jsonl/.json: detected from the content - a JSON list is a Label Studio
export, lines with "spans"/"answer" Prodigy, with "label"/"labels"/"cats" or
"start_offset" entities doccano, else triage JSONL; otherwise CoNLL), a JointBERT split
folder (seq.in, seq.out, label) or a dataset folder holding splits of those. Label
Studio: --ls-text-key (data field with the text; default "text", else the first string
field), --ls-annotator (use that annotator's annotation; default the last updated),
--ls-predictions (a task without an annotation takes its latest prediction).
)";

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // "--x" -> value ("" for flags)
};

const std::map<std::string, bool> kTakesValue = {
    {"--format", true}, {"--scheme", true}, {"--out-scheme", true}, {"--tag-column", true},
    {"--tokenizer", true}, {"--max-seq-len", true}, {"--stride", true}, {"--to", true},
    {"--seed", true}, {"--train", true}, {"--dev", true}, {"--test", true},
    {"--ls-text-key", true}, {"--schema", true}, {"--ls-annotator", true}, {"--ls-predictions", false},
    {"--json", false}, {"--quiet", false}, {"--help", false}, {"-h", false}};

Args parse_args(const std::vector<std::string>& argv, size_t from) {
  Args a;
  for (size_t i = from; i < argv.size(); ++i) {
    const std::string& s = argv[i];
    if (s.size() > 1 && s[0] == '-') {
      auto it = kTakesValue.find(s);
      if (it == kTakesValue.end()) throw InputError("unknown option " + s + " (see triage-data --help)");
      if (it->second) {
        if (i + 1 >= argv.size()) throw InputError(s + " needs a value");
        a.options[s] = argv[++i];
      } else {
        a.options[s] = "";
      }
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

std::optional<std::string> opt(const Args& a, const std::string& k) {
  auto it = a.options.find(k);
  if (it == a.options.end()) return std::nullopt;
  return it->second;
}

int64_t int_opt(const Args& a, const std::string& k, int64_t def) {
  auto v = opt(a, k);
  if (!v) return def;
  try {
    size_t used = 0;
    const long long x = std::stoll(*v, &used);
    if (used != v->size()) throw std::invalid_argument("");
    return x;
  } catch (const std::exception&) {
    throw InputError(k + " expects an integer, got '" + *v + "'");
  }
}

std::optional<Format> format_opt(const Args& a, const std::string& k = "--format") {
  auto v = opt(a, k);
  if (!v) return std::nullopt;
  auto f = parse_format(*v);
  if (!f) throw InputError(k + " must be conll, jointbert, jsonl, labelstudio, doccano or prodigy; got '" + *v + "'");
  return f;
}

ReadOptions read_options(const Args& a) {
  ReadOptions o;
  if (auto s = opt(a, "--scheme")) {
    auto sc = parse_tag_scheme(*s);
    if (!sc) throw InputError("--scheme must be io, iob1, iob2 or bioes; got '" + *s + "'");
    o.scheme = *sc;
  }
  o.conll_tag_column = static_cast<int32_t>(int_opt(a, "--tag-column", -1));
  o.ls_text_key = opt(a, "--ls-text-key").value_or("");
  o.ls_annotator = opt(a, "--ls-annotator").value_or("");
  o.ls_predictions = opt(a, "--ls-predictions").has_value();
  return o;
}

void need_positional(const Args& a, size_t n, const char* what) {
  if (a.positional.size() != n)
    throw InputError(std::string("expected ") + what + "; got " + std::to_string(a.positional.size()) +
                     " positional argument(s) (see triage-data --help)");
}

std::string count_map(const std::map<std::string, int64_t>& m) {
  std::string s;
  for (const auto& [k, v] : m) s += (s.empty() ? "" : ", ") + (k.empty() ? "<none>" : k) + " " + std::to_string(v);
  return s;
}

int cmd_validate(const Args& a) {
  need_positional(a, 1, "validate PATH");
  const bool quiet = opt(a, "--quiet").has_value();
  const ReadOptions ro = read_options(a);
  const std::vector<Source> sources = find_sources(a.positional[0], format_opt(a));
  Diagnostics diag(false);
  std::optional<LabelSchema> given;
  const std::string schema_file = opt(a, "--schema").value_or("");
  if (!schema_file.empty()) given = read_schema(schema_file);
  int64_t total = 0;
  // Split -> examples per format, for the labels-only-in-dev/test report.
  std::map<Format, std::map<std::string, std::vector<Example>>> by_format;
  for (const Source& s : sources) {
    std::vector<Example>& keep = by_format[s.format][s.split];
    ReadStats st;
    try {
      st = read_examples(s.path, s.format, ro, diag, [&](Example&& e) { keep.push_back(std::move(e)); });
    } catch (const InputError& e) {
      diag.error(s.path.string(), 0, e.what());
      continue;
    }
    total += st.examples;
    if (given)
      for (const Example& e : keep) check_schema(*given, schema_file, e, diag);
    LabelSchema seen = LabelSchema::from_examples(keep);
    std::printf("%s (%s, %s): %lld examples, %lld entities, %zu entity types, %zu intents",
                s.split.c_str(), format_name(s.format), s.path.string().c_str(),
                static_cast<long long>(st.examples), static_cast<long long>(st.entities),
                seen.entity_types().size(), seen.intents().size());
    if (st.cut_spans) std::printf(", %lld spans cut through a word", static_cast<long long>(st.cut_spans));
    if (st.repairs) std::printf(", %lld tags read leniently", static_cast<long long>(st.repairs));
    if (st.skipped) std::printf(", %lld skipped", static_cast<long long>(st.skipped));
    if (st.skipped_annotations)
      std::printf(", %lld annotations not used (cancelled, other annotators', not accepted)",
                  static_cast<long long>(st.skipped_annotations));
    if (st.ignored_relations) std::printf(", %lld relations ignored", static_cast<long long>(st.ignored_relations));
    std::printf("\n");
  }
  for (const auto& [format, splits] : by_format) {
    auto train = splits.find("train");
    if (train == splits.end()) continue;
    const LabelSchema schema = LabelSchema::from_examples(train->second);
    for (const auto& [split, examples] : splits) {
      if (split == "train") continue;
      const UnseenLabels u = schema.unseen(examples);
      if (!u.entity_types.empty())
        std::printf("warning: %s (%s): entity types not in train (scored as errors): %s\n",
                    split.c_str(), format_name(format), count_map(u.entity_types).c_str());
      if (!u.intents.empty())
        std::printf("warning: %s (%s): intents not in train (scored as errors): %s\n",
                    split.c_str(), format_name(format), count_map(u.intents).c_str());
    }
  }
  if (!quiet)
    for (const Diagnostic& d : diag.warnings()) std::printf("warning: %s\n", d.to_string().c_str());
  std::fflush(stdout);
  for (const Diagnostic& d : diag.errors()) std::fprintf(stderr, "error: %s\n", d.to_string().c_str());
  std::printf("%lld examples, %zu errors, %zu warnings\n", static_cast<long long>(total),
              diag.errors().size(), diag.warnings().size());
  return diag.ok() ? 0 : 2;
}

int cmd_labelconfig(const Args& a) {
  need_positional(a, 1, "labelconfig PATH|MODEL_DIR");
  const fs::path p = a.positional[0];
  if (fs::is_directory(p) && fs::exists(p / "triage.json")) {
    std::fputs(labelstudio_config(read_schema(p)).c_str(), stdout);
    return 0;
  }
  std::vector<Example> all;
  const ReadOptions ro = read_options(a);
  for (const Source& s : find_sources(p, format_opt(a))) {
    Diagnostics diag;
    read_examples(s.path, s.format, ro, diag, [&](Example&& e) { all.push_back(std::move(e)); });
  }
  std::fputs(labelstudio_config(LabelSchema::from_examples(all)).c_str(), stdout);
  return 0;
}

int cmd_stats(const Args& a) {
  need_positional(a, 1, "stats PATH");
  const ReadOptions ro = read_options(a);
  const std::vector<Source> sources = find_sources(a.positional[0], format_opt(a));
  std::unique_ptr<Tokenizer> tok;
  if (auto t = opt(a, "--tokenizer")) tok = load_tokenizer(*t);
  const int32_t max_len = static_cast<int32_t>(int_opt(a, "--max-seq-len", 512));
  const int32_t stride = static_cast<int32_t>(int_opt(a, "--stride", std::min(128, (max_len - 2) / 4)));
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const Source& s : sources) {
    const std::vector<Example> ex = read_all(s.path, s.format, ro);
    const CorpusStats st = compute_stats(ex, tok.get(), max_len, stride);
    nlohmann::ordered_json j = {{"split", s.split}, {"format", format_name(s.format)}, {"path", s.path.string()}};
    j.update(st.to_json());
    all.push_back(std::move(j));
  }
  if (opt(a, "--json")) {
    std::cout << all.dump(2) << "\n";
    return 0;
  }
  for (const auto& j : all) {
    std::cout << j["split"].get<std::string>() << " (" << j["format"].get<std::string>() << ", "
              << j["path"].get<std::string>() << ")\n";
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() == "split" || it.key() == "format" || it.key() == "path") continue;
      std::cout << "  " << it.key() << ": " << it.value().dump() << "\n";
    }
  }
  if (!tok) std::cout << "(no --tokenizer: sub-word figures omitted)\n";
  return 0;
}

int cmd_convert(const Args& a) {
  need_positional(a, 2, "convert IN OUT --to FORMAT");
  const std::optional<Format> to = format_opt(a, "--to");
  if (!to) throw InputError("convert needs --to conll|jointbert|jsonl|labelstudio|doccano|prodigy");
  const ReadOptions ro = read_options(a);
  WriteOptions wo;
  if (auto s = opt(a, "--out-scheme")) {
    auto sc = parse_tag_scheme(*s);
    if (!sc) throw InputError("--out-scheme must be io, iob1, iob2 or bioes; got '" + *s + "'");
    wo.scheme = *sc;
  }
  const fs::path in = a.positional[0], out = a.positional[1];
  const std::vector<Source> sources = find_sources(in, format_opt(a));
  std::map<std::string, int> per_split;
  for (const Source& s : sources) ++per_split[s.split];
  for (const auto& [split, n] : per_split)
    if (n > 1)
      throw InputError(in.string() + ": split '" + split + "' exists in several formats; choose one with --format");
  const char* ext = *to == Format::conll         ? ".conll"
                    : *to == Format::jointbert   ? ""
                    : *to == Format::labelstudio ? ".json"
                                                 : ".jsonl";
  const bool single = sources.size() == 1 && (!fs::is_directory(in) || fs::exists(in / "seq.in"));
  WriteReport report;
  for (const Source& s : sources) {
    const std::vector<Example> ex = read_all(s.path, s.format, ro);
    fs::path target = single ? out : out / (s.split + ext);
    if (!single) fs::create_directories(out);
    write_examples(target, *to, ex, wo, report);
    std::printf("%s: %zu examples -> %s\n", s.path.string().c_str(), ex.size(), target.string().c_str());
  }
  for (const std::string& w : report.warnings()) std::printf("warning: %s\n", w.c_str());
  return 0;
}

#ifdef TRIAGE_HAVE_GENERATE
int run_generate(const Args& a) {
  const int64_t seed = int_opt(a, "--seed", 0);
  if (seed < 0) throw InputError("--seed must be >= 0");
  GenerateOptions o;
  auto count = [&](const char* k, size_t def) {
    const int64_t v = int_opt(a, k, static_cast<int64_t>(def));
    if (v < 0) throw InputError(std::string(k) + " must be >= 0");
    return static_cast<size_t>(v);
  };
  o.train = count("--train", o.train);
  o.dev = count("--dev", o.dev);
  o.test = count("--test", o.test);
  const GenerateSummary sum = generate_corpus(a.positional[0], static_cast<uint64_t>(seed), o);
  for (const SplitSummary& s : sum.splits)
    std::printf("%s: %zu conversations (%zu multi-turn), %zu turns, %zu entities -> %s\n",
                s.name.c_str(), s.examples, s.multi_turn, s.turns, s.entities,
                (fs::path(a.positional[0]) / (s.name + ".jsonl")).string().c_str());
  std::printf("entity labels: %zu, intents: %zu\n", sum.total.entity_labels.size(),
              sum.total.intents.size());
  return 0;
}
#endif

int cmd_generate(const Args& a) {
  need_positional(a, 1, "generate OUT_DIR --seed N");
#ifdef TRIAGE_HAVE_GENERATE
  if (!opt(a, "--seed")) throw InputError("generate needs --seed N");
  return run_generate(a);
#else
  (void)a;
  throw Error("triage-data was built without the corpus generator (data/generate)");
#endif
}

}  // namespace

int data_cli_main(const std::vector<std::string>& args) {
  return run_main("triage-data", [&] {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      std::fputs(kUsage, args.empty() ? stderr : stdout);
      return args.empty() ? 2 : 0;
    }
    const Args a = parse_args(args, 1);
    if (opt(a, "--help") || opt(a, "-h")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    const std::string& cmd = args[0];
    if (cmd == "validate") return cmd_validate(a);
    if (cmd == "stats") return cmd_stats(a);
    if (cmd == "convert") return cmd_convert(a);
    if (cmd == "labelconfig") return cmd_labelconfig(a);
    if (cmd == "generate") return cmd_generate(a);
    throw InputError("unknown command '" + cmd + "' (validate, stats, convert, labelconfig, generate)");
  });
}

}  // namespace triage::data
