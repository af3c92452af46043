// libFuzzer target for the safetensors reader (scripts/fuzz.sh runs it). Any input must
// either parse into tensors that all lie inside the buffer, or throw triage::InputError;
// every other exception, crash or sanitizer report is a bug. Accepted files must also
// survive serialize() -> from_buffer() unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "model/safetensors.h"

namespace st = triage::st;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::byte> bytes(size);
  if (size) std::memcpy(bytes.data(), data, size);
  try {
    st::Reader r = st::Reader::from_buffer(std::move(bytes), "fuzz-input");
    // Touch every tensor byte: ASan flags anything outside the buffer.
    unsigned acc = 0;
    std::vector<st::TensorToWrite> again;
    for (const auto& t : r.tensors()) {
      require(t.nbytes == static_cast<size_t>(t.numel()) * st::dtype_size(t.dtype));
      require(r.find(t.name) == &t);
      for (size_t i = 0; i < t.nbytes; ++i) acc += std::to_integer<unsigned>(t.data[i]);
      again.push_back({t.name, t.dtype, t.shape, t.data, t.nbytes});
    }
    for (const auto& [k, v] : r.metadata()) acc += static_cast<unsigned>(k.size() + v.size());
    volatile unsigned sink = acc;
    (void)sink;

    // Round trip: what was accepted is written and read back identically.
    st::Reader back = st::Reader::from_buffer(st::serialize(again, r.metadata()), "round-trip");
    require(back.tensors().size() == r.tensors().size());
    require(back.metadata() == r.metadata());
    for (size_t i = 0; i < r.tensors().size(); ++i) {
      const auto& a = r.tensors()[i];
      const auto& b = back.tensors()[i];
      require(a.name == b.name && a.dtype == b.dtype && a.shape == b.shape);
      require(a.nbytes == b.nbytes && (a.nbytes == 0 || std::memcmp(a.data, b.data, a.nbytes) == 0));
    }
  } catch (const triage::InputError&) {
    // Expected for malformed input.
  }
  return 0;
}
