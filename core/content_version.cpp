// FNV-1a content versions (see content_version.h).
#include "core/content_version.h"

#include <fstream>
#include <vector>

#include "core/error.h"

namespace triage {

void ContentVersion::update(std::string_view bytes) {
  for (const char c : bytes) {
    h_ ^= static_cast<unsigned char>(c);
    h_ *= 1099511628211ull;
  }
}

std::string ContentVersion::hex12() const {
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (int i = 60; i >= 0 && s.size() < 12; i -= 4) s += hex[(h_ >> i) & 0xF];
  return s;
}

std::string content_version(std::string_view bytes) {
  ContentVersion v;
  v.update(bytes);
  return v.hex12();
}

std::string file_content_version(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open to compute its version");
  ContentVersion v;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    v.update(std::string_view(buf.data(), static_cast<size_t>(in.gcount())));
  }
  return v.hex12();
}

}  // namespace triage
