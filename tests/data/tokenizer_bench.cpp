// Tokenizer throughput, one thread: encodes every line of the given files (with special
// tokens, as a model input) for at least --seconds and prints lines/s and tokens/s as JSON.
// scripts/bench/tokenizer_bench.py runs it beside HF tokenizers.
//   tokenizer_bench DIR FILE... [--seconds S]
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "core/error.h"
#include "data/tokenizer.h"

int main(int argc, char** argv) {
  using namespace triage::data;
  std::string dir;
  std::vector<std::string> files;
  double seconds = 3.0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) {
      seconds = std::stod(argv[++i]);
    } else if (dir.empty()) {
      dir = a;
    } else {
      files.push_back(a);
    }
  }
  if (dir.empty() || files.empty()) {
    std::cerr << "usage: tokenizer_bench DIR FILE... [--seconds S]\n";
    return 2;
  }
  std::vector<std::string> lines;
  size_t bytes = 0;
  for (const std::string& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      std::cerr << "error: cannot open " << f << "\n";
      return 2;
    }
    for (std::string line; std::getline(in, line);) {
      bytes += line.size();
      lines.push_back(std::move(line));
    }
  }
  std::unique_ptr<Tokenizer> tok;
  try {
    tok = load_tokenizer(dir);
  } catch (const triage::InputError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  using clock = std::chrono::steady_clock;
  size_t tokens = 0;
  for (const std::string& l : lines) tokens += tok->encode(l).size();  // warm-up
  size_t passes = 0;
  const auto t0 = clock::now();
  double elapsed = 0;
  size_t sink = 0;
  do {
    for (const std::string& l : lines) sink += tok->encode(l).ids.back();
    ++passes;
    elapsed = std::chrono::duration<double>(clock::now() - t0).count();
  } while (elapsed < seconds);
  const double n = static_cast<double>(lines.size() * passes);
  std::cout << "{\"impl\":\"triage " << tok->kind() << "\",\"lines\":" << lines.size()
            << ",\"passes\":" << passes << ",\"seconds\":" << elapsed
            << ",\"lines_per_s\":" << n / elapsed
            << ",\"tokens_per_s\":" << static_cast<double>(tokens * passes) / elapsed
            << ",\"mb_per_s\":" << static_cast<double>(bytes * passes) / elapsed / 1e6
            << ",\"checksum\":" << sink % 1000 << "}\n";
  return 0;
}
