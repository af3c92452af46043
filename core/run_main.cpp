// The exit-code convention (see run_main.h).
#include "core/run_main.h"

#include <exception>
#include <iostream>

#include "core/error.h"

namespace triage {

int run_main(const std::string& prog, const std::function<int()>& body) {
  try {
    return body();
  } catch (const InputError& e) {
    std::cerr << prog << ": error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << prog << ": internal error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace triage
