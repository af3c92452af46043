// triage-data commands (validate, stats, convert, generate) as functions over argv, so the
// binary's main() stays thin and tests can call them. Each returns the exit code:
// 0 success, 2 bad input or usage (InputError), 1 internal failure.
#pragma once

#include <string>
#include <vector>

namespace triage::data {

int data_cli_main(const std::vector<std::string>& args);  // args without the program name

}  // namespace triage::data
