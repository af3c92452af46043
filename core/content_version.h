// Short content versions: the first 12 hex digits of the 64-bit FNV-1a hash of some bytes,
// streamed. What triage-serve reports as a model's version (model.safetensors) and a routing
// file's version (its text), in answers, /v1/info, logs and metrics.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace triage {

class ContentVersion {
 public:
  void update(std::string_view bytes);
  std::string hex12() const;  // 12 lower-case hex digits

 private:
  uint64_t h_ = 1469598103934665603ull;
};

// The version of `bytes` in one call.
std::string content_version(std::string_view bytes);

// The version of a file's bytes, read in 1 MiB pieces (a model's version is its
// model.safetensors'). InputError naming the file when it cannot be read.
std::string file_content_version(const std::string& path);

}  // namespace triage
