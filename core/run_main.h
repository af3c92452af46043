// The exit-code convention of every triage binary in one place: 0 done, 2 bad input or
// usage (InputError, a CLI11 parse error), 1 internal failure (any other exception).
#pragma once

#include <functional>
#include <string>

namespace triage {

// Runs body and returns its exit code; an InputError prints "PROG: error: MESSAGE" and
// returns 2, any other exception "PROG: internal error: MESSAGE" and returns 1. prog is
// read when the error is printed (a rank of a job renames itself after start-up).
int run_main(const std::string& prog, const std::function<int()>& body);

}  // namespace triage
