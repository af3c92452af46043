// Command-line parsing with CLI11 under the exit-code convention (core/run_main.h): --help
// exits 0, a usage error exits 2 with CLI11's message. Header-only; for the binaries' mains.
#pragma once

#include <optional>

#include <CLI/CLI.hpp>

namespace triage {

// nullopt: parsed, go on; otherwise the exit code to return from main (help or bad usage).
inline std::optional<int> parse_cli(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
}

}  // namespace triage
