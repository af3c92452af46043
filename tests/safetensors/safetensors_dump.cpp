// safetensors_dump: the C++ side of tests/safetensors/oracle.py.
//   safetensors_dump dump FILE      prints {"metadata": {...}, "tensors": [{name, dtype, shape,
//                                   hex}]} as JSON on stdout (tensors sorted by name)
//   safetensors_dump copy IN OUT    reads IN with Reader::open and writes OUT with st::write
// Exits 2 on bad input (InputError, printed on stderr), 1 on any other failure.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"
#include "model/safetensors.h"

namespace {

std::string hex(const std::byte* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string s(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    auto b = std::to_integer<unsigned>(p[i]);
    s[2 * i] = digits[b >> 4];
    s[2 * i + 1] = digits[b & 15];
  }
  return s;
}

int dump(const std::string& file) {
  auto r = triage::st::Reader::open(file);
  nlohmann::json out;
  out["metadata"] = r.metadata();
  out["tensors"] = nlohmann::json::array();
  for (const auto& t : r.tensors()) {
    out["tensors"].push_back({{"name", t.name},
                              {"dtype", triage::st::dtype_name(t.dtype)},
                              {"shape", t.shape},
                              {"hex", hex(t.data, t.nbytes)}});
  }
  std::cout << out.dump() << "\n";
  return 0;
}

int copy(const std::string& in, const std::string& out) {
  auto r = triage::st::Reader::open(in);
  std::vector<triage::st::TensorToWrite> ts;
  for (const auto& t : r.tensors()) ts.push_back({t.name, t.dtype, t.shape, t.data, t.nbytes});
  triage::st::write(out, ts, r.metadata());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "dump" && argc == 3) return dump(argv[2]);
    if (cmd == "copy" && argc == 4) return copy(argv[2], argv[3]);
    std::cerr << "usage: safetensors_dump dump FILE | copy IN OUT\n";
    return 2;
  } catch (const triage::InputError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "internal error: " << e.what() << "\n";
    return 1;
  }
}
