// TensorBoard event files (see tensorboard.h).
#include "train/tensorboard.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>

#include "core/error.h"

namespace triage::train {

namespace {

const std::array<uint32_t, 256>& crc_table() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? 0x82F63B78u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

uint32_t masked(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

void varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

template <typename T>
void little_endian(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // x86-64 and aarch64 Linux are little-endian
  out.append(b, sizeof(T));
}

void length_delimited(std::string& out, int field, std::string_view bytes) {
  varint(out, static_cast<uint64_t>(field) << 3 | 2);
  varint(out, bytes.size());
  out.append(bytes);
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// tensorflow.Event { double wall_time = 1; int64 step = 2; oneof { string file_version = 3;
// Summary summary = 5; } }
std::string event(int64_t step, const std::string* file_version, const std::string* summary) {
  std::string e;
  varint(e, 1 << 3 | 1);
  little_endian(e, now_seconds());
  varint(e, 2 << 3 | 0);
  varint(e, static_cast<uint64_t>(step));
  if (file_version) length_delimited(e, 3, *file_version);
  if (summary) length_delimited(e, 5, *summary);
  return e;
}

}  // namespace

uint32_t crc32c(std::string_view bytes) {
  const auto& t = crc_table();
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : bytes) c = t[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

TensorBoardWriter::TensorBoardWriter(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  const auto secs = static_cast<int64_t>(now_seconds());
  path_ = dir / ("events.out.tfevents." + std::to_string(secs) + "." + host + "." + std::to_string(::getpid()));
  out_.open(path_, std::ios::binary | std::ios::app);
  if (!out_) throw InputError(path_.string() + ": cannot write the TensorBoard event file");
  const std::string version = "brain.Event:2";
  write_record(event(0, &version, nullptr));
}

void TensorBoardWriter::scalar(std::string_view tag, int64_t step, double value) {
  // Summary { repeated Value value = 1; }  Value { string tag = 1; float simple_value = 2; }
  std::string v;
  length_delimited(v, 1, tag);
  varint(v, 2 << 3 | 5);
  little_endian(v, static_cast<float>(value));
  std::string summary;
  length_delimited(summary, 1, v);
  write_record(event(step, nullptr, &summary));
}

void TensorBoardWriter::write_record(const std::string& payload) {
  std::string frame;
  little_endian(frame, static_cast<uint64_t>(payload.size()));
  const uint32_t len_crc = masked(crc32c(frame));
  little_endian(frame, len_crc);
  frame += payload;
  little_endian(frame, masked(crc32c(payload)));
  out_.write(frame.data(), static_cast<std::streamsize>(frame.size()));
  out_.flush();
}

}  // namespace triage::train
