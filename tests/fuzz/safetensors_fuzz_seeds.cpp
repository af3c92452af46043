// Writes the seed corpus for safetensors_fuzz into DIR: valid files (every dtype, scalar,
// empty tensors, metadata, no tensors) made by the writer, plus a few near-misses written
// by hand. Generated at run time so no binary blobs live in the repository.
//   safetensors_fuzz_seeds DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "model/safetensors.h"

namespace st = triage::st;

namespace {

void save(const std::filesystem::path& dir, const std::string& name, const std::string& bytes) {
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

void save(const std::filesystem::path& dir, const std::string& name,
          const std::vector<std::byte>& bytes) {
  save(dir, name, std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string raw(const std::string& header, size_t data_bytes) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  out += header;
  for (size_t i = 0; i < data_bytes; ++i) out += static_cast<char>(i * 7 + 1);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: safetensors_fuzz_seeds DIR\n");
    return 2;
  }
  std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  std::vector<unsigned char> buf(64);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<unsigned char>(i * 37 + 11);

  const st::Dtype all[] = {st::Dtype::BOOL, st::Dtype::U8,  st::Dtype::I8,  st::Dtype::I16,
                           st::Dtype::U16,  st::Dtype::F16, st::Dtype::BF16, st::Dtype::I32,
                           st::Dtype::U32,  st::Dtype::F32, st::Dtype::I64, st::Dtype::U64,
                           st::Dtype::F64};
  std::vector<st::TensorToWrite> every;
  for (st::Dtype d : all) {
    std::string name(st::dtype_name(d));
    save(dir, "one_" + name, st::serialize({{"w", d, {2}, buf.data(), 2 * st::dtype_size(d)}}));
    every.push_back({"t." + name, d, {1, 2}, buf.data(), 2 * st::dtype_size(d)});
  }
  save(dir, "every_dtype", st::serialize(every));
  save(dir, "scalar_empty_meta",
       st::serialize({{"s", st::Dtype::F32, {}, buf.data(), 4},
                      {"e", st::Dtype::BF16, {0, 3}, nullptr, 0},
                      {"v", st::Dtype::I64, {3}, buf.data(), 24}},
                     {{"format", "pt"}, {"k", "v"}}));
  save(dir, "no_tensors", st::serialize({}, {{"format", "pt"}}));
  save(dir, "empty_header", raw("{}", 0));
  save(dir, "unpadded",
       raw(R"({"a":{"dtype":"U8","shape":[3],"data_offsets":[0,3]},"b":{"dtype":"I16","shape":[],"data_offsets":[3,5]}})", 5));
  save(dir, "hole", raw(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}})", 6));
  save(dir, "mismatch", raw(R"({"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})", 20));
  save(dir, "dup", raw(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})", 2));
  save(dir, "meta_bad", raw(R"({"__metadata__":{"k":1}})", 0));
  save(dir, "short", std::string("\x02\0\0\0", 4));
  return 0;
}
