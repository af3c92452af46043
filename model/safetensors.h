// Reader and writer for the safetensors format (https://huggingface.co/docs/safetensors):
// 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets},
// "__metadata__": {str: str}}, then the raw little-endian tensor bytes. Torch-free so the
// fuzzer and the tokenizer-only builds can use it. Every validation failure throws
// triage::InputError naming the file (source) and, where there is one, the tensor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace triage::st {

enum class Dtype { BOOL, U8, I8, I16, U16, F16, BF16, I32, U32, F32, I64, U64, F64 };

size_t dtype_size(Dtype dtype);
std::string_view dtype_name(Dtype dtype);                 // "F32", "BF16", ...
std::optional<Dtype> parse_dtype(std::string_view name);  // nullopt if unknown

struct TensorInfo {
  std::string name;
  Dtype dtype;
  std::vector<int64_t> shape;
  const std::byte* data = nullptr;  // points into the reader's buffer; aligned to the dtype
                                    // only if the writer aligned it (this one does)
  size_t nbytes = 0;
  int64_t numel() const;
};

class Reader {
 public:
  // Memory-maps (read-only, fd closed) and fully validates the file. The file must not be
  // truncated while the Reader lives (SIGBUS). Missing or non-regular file: InputError.
  static Reader open(const std::filesystem::path& file);
  // Validates an in-memory file; source names it in errors (tests, fuzzing).
  static Reader from_buffer(std::vector<std::byte> bytes, std::string source);

  const std::vector<TensorInfo>& tensors() const;  // header order is not kept: sorted by name
  const TensorInfo* find(std::string_view name) const;  // nullptr if absent
  const std::map<std::string, std::string>& metadata() const;
  const std::string& source() const;

  Reader(Reader&&) noexcept;
  Reader& operator=(Reader&&) noexcept;
  ~Reader();

 private:
  struct Impl;
  explicit Reader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct TensorToWrite {
  std::string name;
  Dtype dtype;
  std::vector<int64_t> shape;
  const void* data;
  size_t nbytes;  // must equal numel * dtype_size
};

// Writes atomically: a temporary file in the same directory, flushed, then renamed over
// file. Throws triage::Error on I/O failure, InputError on inconsistent tensors.
// Layout: header keys sorted; header padded with spaces to a multiple of 8 bytes (as the
// Rust library does); tensors contiguous, widest dtype first, then by name (the Rust
// library also orders by dtype), so every tensor starts aligned to its dtype size.
void write(const std::filesystem::path& file, const std::vector<TensorToWrite>& tensors,
           const std::map<std::string, std::string>& metadata = {});

// The exact bytes write() puts in a file, in memory (tests, fuzzing, small checkpoints).
std::vector<std::byte> serialize(const std::vector<TensorToWrite>& tensors,
                                 const std::map<std::string, std::string>& metadata = {});

// Limit on the JSON header, as in the reference implementation (MAX_HEADER_SIZE).
inline constexpr uint64_t kMaxHeaderBytes = 100'000'000;

}  // namespace triage::st
