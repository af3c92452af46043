// Data pipeline throughput, one thread: read (parse + UTF-8 validation + words) and
// tokenize + align (encode_example with labels) over a labelled source, repeated for at
// least --seconds. Prints one JSON line per source; scripts/bench/data_bench.sh runs it.
//   data_bench --tokenizer DIR [--seconds S] [--label-mode first|all] SOURCE:FORMAT...
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "core/error.h"
#include "data/align.h"
#include "data/readers.h"
#include "data/tokenizer.h"

using namespace triage::data;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Rate {
  double examples_per_s = 0;
  int64_t passes = 0;
};

template <class Pass>
Rate measure(double min_seconds, int64_t examples, Pass pass) {
  pass();  // warm-up (page cache, thread-local scratch)
  const auto t0 = Clock::now();
  int64_t passes = 0;
  do {
    pass();
    ++passes;
  } while (seconds_since(t0) < min_seconds);
  return {static_cast<double>(examples * passes) / seconds_since(t0), passes};
}

}  // namespace

int main(int argc, char** argv) {
  std::string tok_dir;
  double min_seconds = 3;
  EncodeOptions eo;
  std::vector<std::pair<std::string, Format>> sources;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--tokenizer" && i + 1 < argc) tok_dir = argv[++i];
    else if (a == "--seconds" && i + 1 < argc) min_seconds = std::stod(argv[++i]);
    else if (a == "--label-mode" && i + 1 < argc)
      eo.label_mode = std::string(argv[++i]) == "all" ? LabelMode::all_subwords : LabelMode::first_subword;
    else {
      const size_t colon = a.rfind(':');
      auto f = colon == std::string::npos ? std::nullopt : parse_format(a.substr(colon + 1));
      if (!f) {
        std::fprintf(stderr, "usage: data_bench --tokenizer DIR [--seconds S] [--label-mode first|all] PATH:FORMAT...\n");
        return 2;
      }
      sources.emplace_back(a.substr(0, colon), *f);
    }
  }
  if (tok_dir.empty() || sources.empty()) {
    std::fprintf(stderr, "usage: data_bench --tokenizer DIR [--seconds S] PATH:FORMAT...\n");
    return 2;
  }
  try {
    auto tok = load_tokenizer(tok_dir);
    for (const auto& [path, format] : sources) {
      const std::vector<Example> all = read_all(path, format);
      const LabelSchema schema = LabelSchema::from_examples(all);
      const int64_t n = static_cast<int64_t>(all.size());
      int64_t subwords = 0;
      for (const Example& e : all) subwords += static_cast<int64_t>(encode_example(*tok, e, &schema, eo).size());
      int64_t sink = 0;
      const Rate read = measure(min_seconds, n, [&] {
        Diagnostics d;
        read_examples(path, format, {}, d, [&](Example&& e) { sink += static_cast<int64_t>(e.words.size()); });
      });
      const Rate encode = measure(min_seconds, n, [&] {
        for (const Example& e : all) sink += static_cast<int64_t>(encode_example(*tok, e, &schema, eo).size());
      });
      const Rate pipeline = measure(min_seconds, n, [&] {
        Diagnostics d;
        read_examples(path, format, {}, d, [&](Example&& e) {
          sink += static_cast<int64_t>(encode_example(*tok, e, &schema, eo).size());
        });
      });
      std::printf(
          "{\"source\": \"%s\", \"format\": \"%s\", \"examples\": %lld, \"subwords_per_example\": %.2f, "
          "\"read_per_s\": %.0f, \"tokenize_align_per_s\": %.0f, \"pipeline_per_s\": %.0f, "
          "\"pipeline_passes\": %lld, \"checksum\": %lld}\n",
          path.c_str(), format_name(format), static_cast<long long>(n),
          static_cast<double>(subwords) / static_cast<double>(n), read.examples_per_s,
          encode.examples_per_s, pipeline.examples_per_s, static_cast<long long>(pipeline.passes),
          static_cast<long long>(sink % 1000));
      std::fflush(stdout);
    }
  } catch (const triage::InputError& e) {
    std::fprintf(stderr, "data_bench: %s\n", e.what());
    return 2;
  }
  return 0;
}
