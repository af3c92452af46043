// Command-line parsing with CLI11 under the exit-code convention (core/run_main.h): --help
// exits 0, a usage error exits 2 with CLI11's message. Header-only; for the binaries' mains.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace triage {

// The config flags every configurable binary takes, each feeding config::Schema::load.
struct ConfigFlags {
  std::vector<std::string> files;  // --config, layered in order
  std::vector<std::string> sets;   // --set section.key=value
  bool dump = false;               // --dump-config
};

inline void add_config_flags(CLI::App& app, ConfigFlags& flags) {
  app.add_option("--config", flags.files, "YAML config; repeat to layer (later over earlier)");
  app.add_option("--set", flags.sets, "override one key: section.key=value (repeatable)");
  app.add_flag("--dump-config", flags.dump, "print the resolved config and exit");
}

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
