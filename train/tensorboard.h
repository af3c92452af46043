// TensorBoard event files (issue 19): triage-train writes its scalars (every numeric field of
// the train and eval records of metrics.jsonl: loss, token/intent loss, learning rate,
// tokens/s, dev metrics) to run.output_dir/tb/ as TensorBoard reads them - TFRecord framing
// (length, masked CRC-32C, payload, masked CRC-32C) around tensorflow.Event protos with one
// Summary.Value simple_value each - written directly (no protobuf or TensorFlow library), one
// file per run or resume, flushed per record so a crash loses at most the one being written.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace triage::train {

class TensorBoardWriter {
 public:
  // Creates dir and a new events.out.tfevents.<seconds>.<host>.<pid> file in it; InputError
  // naming the path when it cannot.
  explicit TensorBoardWriter(const std::filesystem::path& dir);
  void scalar(std::string_view tag, int64_t step, double value);
  const std::filesystem::path& path() const { return path_; }

 private:
  void write_record(const std::string& payload);
  std::filesystem::path path_;
  std::ofstream out_;
};

// CRC-32C (Castagnoli), as TFRecord frames use it (exposed for the test).
uint32_t crc32c(std::string_view bytes);

}  // namespace triage::train
