// Helpers every C++ test suite shares: temporary directories, "expect this error text", and
// where ../shared is. Torch-free (tiny checkpoints: tests/common/tiny_checkpoint.h).
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.h"

namespace triage::testing {

// A fresh directory under the system temporary directory, removed with everything in it
// by the destructor.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("triage-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  // Writes content to path()/name (creating folders) and returns the file's path.
  std::filesystem::path write(const std::string& name, const std::string& content) const {
    const auto p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

 private:
  std::filesystem::path path_;
};

// The message of the E that f throws, or "<no E>" when it throws none (so a test's
// find(...) != npos fails on it). E defaults to InputError, the user-facing kind.
template <typename E = InputError, typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "<no error of the expected type>";
}

// ../shared (datasets, fixtures): $TRIAGE_SHARED_DIR, else the configured path.
inline std::filesystem::path shared_dir() {
  const char* env = std::getenv("TRIAGE_SHARED_DIR");
  return env ? env : TRIAGE_SHARED_DIR;
}

}  // namespace triage::testing
