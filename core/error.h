// Error types shared by every triage library. InputError is the user's fault (bad file,
// bad config, bad request): binaries exit 2 on it. Error is anything else: exit 1.
// Messages name the file and line, key or tensor, what was expected and what was found.
#pragma once

#include <stdexcept>
#include <string>

namespace triage {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class InputError : public Error {
 public:
  using Error::Error;
};

}  // namespace triage
