// Test helper: writes the synthetic corpus (generate_corpus) for the Python check.
// Usage: generate_corpus_tool OUT_DIR SEED [TRAIN DEV TEST]
#include <cstdlib>
#include <iostream>

#include "core/error.h"
#include "data/generate/generate.h"

int main(int argc, char** argv) {
  if (argc != 3 && argc != 6) {
    std::cerr << "usage: generate_corpus_tool OUT_DIR SEED [TRAIN DEV TEST]\n";
    return 2;
  }
  triage::data::GenerateOptions o;
  if (argc == 6) {
    o.train = std::strtoull(argv[3], nullptr, 10);
    o.dev = std::strtoull(argv[4], nullptr, 10);
    o.test = std::strtoull(argv[5], nullptr, 10);
  }
  try {
    const auto s = triage::data::generate_corpus(argv[1], std::strtoull(argv[2], nullptr, 10), o);
    for (const auto& sp : s.splits) std::cout << sp.name << ": " << sp.examples << " conversations, " << sp.entities << " entities\n";
  } catch (const triage::InputError& e) {
    std::cerr << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
