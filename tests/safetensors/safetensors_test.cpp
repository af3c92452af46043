// Unit tests for model/safetensors: writer/reader round trips (every dtype, empty tensors,
// scalars, metadata, layout) and one test per rejected input, each checking that the
// message names the source and the tensor or key.
#include "model/safetensors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "tests/common/test_util.h"

namespace fs = std::filesystem;
using namespace triage::st;
using triage::testing::TempDir;

namespace {

constexpr Dtype kAllDtypes[] = {Dtype::BOOL, Dtype::U8,  Dtype::I8,   Dtype::I16, Dtype::U16,
                                Dtype::F16,  Dtype::BF16, Dtype::I32, Dtype::U32, Dtype::F32,
                                Dtype::I64,  Dtype::U64, Dtype::F64};


std::vector<std::byte> bytes_of(std::string_view s) {
  std::vector<std::byte> out(s.size());
  std::memcpy(out.data(), s.data(), s.size());
  return out;
}

// A safetensors file from a raw header text and data section; header_len overrides the
// length prefix when given.
std::vector<std::byte> make_file(std::string_view header, size_t data_bytes = 0,
                                 std::optional<uint64_t> header_len = std::nullopt) {
  uint64_t n = header_len.value_or(header.size());
  std::vector<std::byte> out(8);
  for (int i = 0; i < 8; ++i) out[i] = static_cast<std::byte>((n >> (8 * i)) & 0xff);
  auto h = bytes_of(header);
  out.insert(out.end(), h.begin(), h.end());
  for (size_t i = 0; i < data_bytes; ++i) out.push_back(static_cast<std::byte>(i * 31 + 7));
  return out;
}

std::vector<std::byte> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return bytes_of(s);
}

void write_raw(const fs::path& p, const std::vector<std::byte>& b) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// Expects from_buffer to throw InputError whose message names the source and contains
// every one of parts.
void expect_bad(const std::vector<std::byte>& file, std::initializer_list<std::string> parts) {
  const std::string source = "bad.safetensors";
  try {
    Reader::from_buffer(file, source);
    ADD_FAILURE() << "accepted a bad file; expected a message with: " << *parts.begin();
  } catch (const triage::InputError& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.rfind(source + ": ", 0), 0u) << msg;
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  }
}

std::vector<std::byte> pattern(size_t n, int seed) {
  std::vector<std::byte> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>((i * 131 + seed * 17 + 3) & 0xff);
  return v;
}

void expect_same(const TensorInfo& t, const TensorToWrite& w) {
  EXPECT_EQ(t.name, w.name);
  EXPECT_EQ(t.dtype, w.dtype) << w.name;
  EXPECT_EQ(t.shape, w.shape) << w.name;
  ASSERT_EQ(t.nbytes, w.nbytes) << w.name;
  if (w.nbytes) {
    EXPECT_EQ(std::memcmp(t.data, w.data, w.nbytes), 0) << w.name;
  }
}

}  // namespace

// ---- dtypes -------------------------------------------------------------------------------

TEST(SafetensorsDtype, NamesSizesAndParsing) {
  EXPECT_EQ(dtype_size(Dtype::BOOL), 1u);
  EXPECT_EQ(dtype_size(Dtype::BF16), 2u);
  EXPECT_EQ(dtype_size(Dtype::F32), 4u);
  EXPECT_EQ(dtype_size(Dtype::F64), 8u);
  for (Dtype d : kAllDtypes) EXPECT_EQ(parse_dtype(dtype_name(d)), d) << dtype_name(d);
  EXPECT_FALSE(parse_dtype("f32"));
  EXPECT_FALSE(parse_dtype("F8_E4M3"));
  EXPECT_FALSE(parse_dtype(""));
}

// ---- round trips --------------------------------------------------------------------------

TEST(SafetensorsRoundTrip, AllDtypesThroughAFile) {
  TempDir dir;
  std::vector<std::vector<std::byte>> storage;
  std::vector<TensorToWrite> ts;
  int seed = 0;
  for (Dtype d : kAllDtypes) {
    // Odd sizes so a naive layout would misalign the wider dtypes that follow.
    std::vector<int64_t> shape = {3, 5};
    storage.push_back(pattern(15 * dtype_size(d), seed++));
    ts.push_back({"t." + std::string(dtype_name(d)), d, shape, storage.back().data(),
                  storage.back().size()});
  }
  fs::path file = dir / "model.safetensors";
  write(file, ts);
  Reader r = Reader::open(file);
  EXPECT_EQ(r.source(), file.string());
  ASSERT_EQ(r.tensors().size(), ts.size());
  for (const auto& w : ts) {
    const TensorInfo* t = r.find(w.name);
    ASSERT_NE(t, nullptr) << w.name;
    expect_same(*t, w);
    EXPECT_EQ(t->numel(), 15);
    // Every tensor starts aligned to its dtype size (the mapping is page aligned).
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t->data) % dtype_size(t->dtype), 0u) << w.name;
  }
  // Nothing but the file is left in the directory (no temporary).
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(SafetensorsRoundTrip, SerializeMatchesWriteAndFromBuffer) {
  TempDir dir;
  auto a = pattern(24, 1), b = pattern(6, 2);
  std::vector<TensorToWrite> ts = {{"b", Dtype::F32, {2, 3}, a.data(), a.size()},
                                   {"a", Dtype::U8, {6}, b.data(), b.size()}};
  std::map<std::string, std::string> meta = {{"format", "pt"}};
  write(dir / "m.safetensors", ts, meta);
  auto mem = serialize(ts, meta);
  EXPECT_EQ(read_file(dir / "m.safetensors"), mem);
  Reader r = Reader::from_buffer(mem, "mem");
  ASSERT_EQ(r.tensors().size(), 2u);
  EXPECT_EQ(r.tensors()[0].name, "a");  // sorted by name
  EXPECT_EQ(r.tensors()[1].name, "b");
  expect_same(*r.find("a"), ts[1]);
  expect_same(*r.find("b"), ts[0]);
  EXPECT_EQ(r.metadata(), meta);
}

TEST(SafetensorsRoundTrip, EmptyTensorsAndScalars) {
  TempDir dir;
  float scalar = 3.5f;
  int64_t big = -7;
  auto w = pattern(8, 3);
  std::vector<TensorToWrite> ts = {
      {"empty0", Dtype::F32, {0}, nullptr, 0},
      {"empty_mid", Dtype::F16, {3, 0, 4}, nullptr, 0},
      {"empty_last", Dtype::I64, {5, 0}, nullptr, 0},
      {"scalar_f32", Dtype::F32, {}, &scalar, sizeof scalar},
      {"scalar_i64", Dtype::I64, {}, &big, sizeof big},
      {"w", Dtype::U8, {8}, w.data(), w.size()},
  };
  write(dir / "e.safetensors", ts);
  Reader r = Reader::open(dir / "e.safetensors");
  ASSERT_EQ(r.tensors().size(), ts.size());
  for (const auto& t : ts) expect_same(*r.find(t.name), t);
  EXPECT_EQ(r.find("empty_mid")->numel(), 0);
  EXPECT_EQ(r.find("scalar_f32")->numel(), 1);
  EXPECT_TRUE(r.find("scalar_f32")->shape.empty());
  float back;
  std::memcpy(&back, r.find("scalar_f32")->data, 4);
  EXPECT_EQ(back, 3.5f);
}

TEST(SafetensorsRoundTrip, Metadata) {
  TempDir dir;
  std::map<std::string, std::string> meta = {
      {"format", "pt"}, {"note", "caf\xc3\xa9 \"quoted\"\n"}, {"", "empty key"}};
  auto w = pattern(4, 4);
  write(dir / "m.safetensors", {{"w", Dtype::I32, {1}, w.data(), 4}}, meta);
  Reader r = Reader::open(dir / "m.safetensors");
  EXPECT_EQ(r.metadata(), meta);
  // No metadata: none written, none read.
  write(dir / "n.safetensors", {{"w", Dtype::I32, {1}, w.data(), 4}});
  EXPECT_TRUE(Reader::open(dir / "n.safetensors").metadata().empty());
}

TEST(SafetensorsRoundTrip, NoTensors) {
  TempDir dir;
  write(dir / "z.safetensors", {}, {{"k", "v"}});
  Reader r = Reader::open(dir / "z.safetensors");
  EXPECT_TRUE(r.tensors().empty());
  EXPECT_EQ(r.metadata().at("k"), "v");
  EXPECT_EQ(r.find("anything"), nullptr);
}

TEST(SafetensorsRoundTrip, LayoutSortedKeysPaddedHeaderContiguousData) {
  auto a = pattern(2, 5), b = pattern(8, 6), c = pattern(6, 7);
  std::vector<TensorToWrite> ts = {{"zeta", Dtype::U8, {2}, a.data(), 2},
                                   {"alpha", Dtype::F64, {1}, b.data(), 8},
                                   {"mid", Dtype::F16, {3}, c.data(), 6}};
  auto file = serialize(ts, {{"format", "pt"}});
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | std::to_integer<uint64_t>(file[i]);
  EXPECT_EQ(n % 8, 0u);
  std::string header(reinterpret_cast<const char*>(file.data() + 8), n);
  auto j = nlohmann::json::parse(header);
  // Keys sorted (std::map), padded with spaces only.
  EXPECT_EQ(header.find_last_not_of(' '), header.find_last_of('}'));
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"__metadata__", "alpha", "mid", "zeta"}));
  EXPECT_LT(header.find("\"__metadata__\""), header.find("\"alpha\""));
  EXPECT_LT(header.find("\"mid\""), header.find("\"zeta\""));
  // Data: widest dtype first, then by name; contiguous.
  EXPECT_EQ(j["alpha"]["data_offsets"], nlohmann::json({0, 8}));
  EXPECT_EQ(j["mid"]["data_offsets"], nlohmann::json({8, 14}));
  EXPECT_EQ(j["zeta"]["data_offsets"], nlohmann::json({14, 16}));
  EXPECT_EQ(file.size(), 8 + n + 16);
}

TEST(SafetensorsRoundTrip, OverwritesExistingFileAndReaderOutlivesMoves) {
  TempDir dir;
  fs::path p = dir / "w.safetensors";
  auto a = pattern(4, 8), b = pattern(8, 9);
  write(p, {{"x", Dtype::F32, {1}, a.data(), 4}});
  write(p, {{"y", Dtype::F64, {1}, b.data(), 8}});
  Reader r = Reader::open(p);
  Reader moved = std::move(r);
  Reader assigned = Reader::from_buffer(make_file("{}"), "tmp");
  assigned = std::move(moved);
  ASSERT_EQ(assigned.tensors().size(), 1u);
  EXPECT_EQ(assigned.tensors()[0].name, "y");
  EXPECT_EQ(std::memcmp(assigned.tensors()[0].data, b.data(), 8), 0);
}

TEST(SafetensorsRoundTrip, AcceptsUnpaddedHeadersUnknownFieldsAndNullMetadata) {
  // Other writers need not pad the header; unknown entry fields are ignored as in the
  // reference implementation; "__metadata__": null means none.
  auto f = make_file(
      R"({"__metadata__":null,"a":{"dtype":"U8","shape":[3],"data_offsets":[0,3],"extra":{"x":[1]}}})",
      3);
  Reader r = Reader::from_buffer(f, "x");
  ASSERT_EQ(r.tensors().size(), 1u);
  EXPECT_EQ(r.tensors()[0].nbytes, 3u);
  EXPECT_TRUE(r.metadata().empty());
  // Several empty tensors may share an offset.
  auto g = make_file(
      R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"c":{"dtype":"I8","shape":[0,2],"data_offsets":[4,4]}})",
      4);
  EXPECT_EQ(Reader::from_buffer(g, "g").tensors().size(), 3u);
}

// ---- writer errors ------------------------------------------------------------------------

TEST(SafetensorsWrite, RejectsInconsistentTensorsAndLeavesNoFile) {
  TempDir dir;
  fs::path p = dir / "out.safetensors";
  auto a = pattern(24, 1);
  auto expect_input_error = [&](const std::vector<TensorToWrite>& ts, const std::string& part) {
    try {
      write(p, ts);
      ADD_FAILURE() << "expected InputError with " << part;
    } catch (const triage::InputError& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find(p.string()), std::string::npos) << msg;
      EXPECT_NE(msg.find(part), std::string::npos) << msg;
    }
    EXPECT_FALSE(fs::exists(p));
  };
  expect_input_error({{"w", Dtype::F32, {2, 3}, a.data(), 20}},
                     "tensor 'w': dtype F32 shape [2,3] needs 24 bytes, got nbytes 20");
  expect_input_error({{"w", Dtype::F32, {6}, a.data(), 24}, {"w", Dtype::U8, {1}, a.data(), 1}},
                     "duplicate tensor name 'w'");
  expect_input_error({{"__metadata__", Dtype::U8, {1}, a.data(), 1}}, "reserved");
  expect_input_error({{"n", Dtype::U8, {-1}, a.data(), 0}}, "tensor 'n': shape [-1] has a negative");
  expect_input_error({{"o", Dtype::U8, {int64_t{1} << 62, 8}, a.data(), 0}}, "tensor 'o'");
  expect_input_error({{"z", Dtype::U8, {4}, nullptr, 4}}, "tensor 'z': data is null");
  expect_input_error({{"bad\xff", Dtype::U8, {1}, a.data(), 1}}, "not valid UTF-8");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 0);
}

TEST(SafetensorsWrite, IoFailureIsErrorNotInputError) {
  TempDir dir;
  auto a = pattern(4, 1);
  try {
    write(dir / "missing-dir" / "x.safetensors", {{"w", Dtype::F32, {1}, a.data(), 4}});
    ADD_FAILURE() << "expected triage::Error";
  } catch (const triage::InputError& e) {
    ADD_FAILURE() << "I/O failure reported as InputError: " << e.what();
  } catch (const triage::Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing-dir"), std::string::npos) << e.what();
  }
}

// ---- reader errors: files -----------------------------------------------------------------

TEST(SafetensorsOpen, MissingDirectoryShortAndTruncatedFiles) {
  TempDir dir;
  auto expect_open_error = [](const fs::path& p, const std::string& part) {
    try {
      Reader::open(p);
      ADD_FAILURE() << "opened " << p;
    } catch (const triage::InputError& e) {
      std::string msg = e.what();
      EXPECT_EQ(msg.rfind(p.string() + ": ", 0), 0u) << msg;
      EXPECT_NE(msg.find(part), std::string::npos) << msg;
    }
  };
  expect_open_error(dir / "nope.safetensors", "No such file");
  expect_open_error(dir.path(), "not a regular file");
  write_raw(dir / "empty.safetensors", {});
  expect_open_error(dir / "empty.safetensors", "file is 0 bytes");
  write_raw(dir / "short.safetensors", bytes_of("1234567"));
  expect_open_error(dir / "short.safetensors", "file is 7 bytes");

  auto a = pattern(24, 1);
  fs::path p = dir / "trunc.safetensors";
  write(p, {{"layer.0.weight", Dtype::F32, {2, 3}, a.data(), 24}});
  fs::resize_file(p, fs::file_size(p) - 4);
  expect_open_error(p, "header says tensor 'layer.0.weight' ends at byte 24 but the data "
                       "section has 20 bytes");
}

// ---- reader errors: header framing --------------------------------------------------------

TEST(SafetensorsBadInput, ShortFile) {
  expect_bad({}, {"file is 0 bytes", "at least 8 bytes"});
  expect_bad(bytes_of("abcdefg"), {"file is 7 bytes"});
}

TEST(SafetensorsBadInput, HeaderLengthTooLarge) {
  expect_bad(make_file("{}", 0, 200'000'000), {"header length is 200000000", "100000000"});
  expect_bad(make_file("{}", 0, ~uint64_t{0}), {"header length is 18446744073709551615"});
  expect_bad(make_file("{}", 10, 100), {"header length is 100 bytes but only 12 bytes follow"});
}

TEST(SafetensorsBadInput, HeaderNotUtf8NotJsonNotObject) {
  expect_bad(make_file("{\"a\xff\":1}"), {"not valid UTF-8", "0xff", "offset 3"});
  expect_bad(make_file("{\"\xed\xa0\x80\":1}"), {"not valid UTF-8"});  // surrogate
  expect_bad(make_file("{\"\xc0\xaf\":1}"), {"not valid UTF-8"});      // overlong
  expect_bad(make_file("{\"a\":"), {"header is not valid JSON"});
  expect_bad(make_file(""), {"header is not valid JSON"});
  expect_bad(make_file("{} x"), {"header is not valid JSON"});
  expect_bad(make_file("{/*c*/}"), {"header is not valid JSON"});
  expect_bad(make_file("[1,2]"), {"header must be a JSON object", "found array"});
  expect_bad(make_file("\"s\""), {"header must be a JSON object", "found string"});
}

TEST(SafetensorsBadInput, DeepNesting) {
  std::string deep = R"({"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0],"x":)" +
                     std::string(1000, '[') + std::string(1000, ']') + "}}";
  expect_bad(make_file(deep), {"nests deeper than"});
}

// ---- reader errors: entries ---------------------------------------------------------------

TEST(SafetensorsBadInput, EntryNotObjectOrMissingKeys) {
  expect_bad(make_file(R"({"w":5})"), {"tensor 'w': entry must be an object", "found number 5"});
  expect_bad(make_file(R"({"w":{"shape":[1],"data_offsets":[0,1]}})", 1),
             {"tensor 'w': missing 'dtype'"});
  expect_bad(make_file(R"({"w":{"dtype":"U8","data_offsets":[0,1]}})", 1),
             {"tensor 'w': missing 'shape'"});
  expect_bad(make_file(R"({"w":{"dtype":"U8","shape":[1]}})", 1),
             {"tensor 'w': missing 'data_offsets'"});
}

TEST(SafetensorsBadInput, WrongJsonTypes) {
  expect_bad(make_file(R"({"w":{"dtype":4,"shape":[1],"data_offsets":[0,1]}})", 1),
             {"tensor 'w': 'dtype' must be a string", "found number 4"});
  expect_bad(make_file(R"({"w":{"dtype":"U8","shape":"1","data_offsets":[0,1]}})", 1),
             {"tensor 'w': 'shape' must be an array", "found string"});
  expect_bad(make_file(R"({"w":{"dtype":"U8","shape":[1.5],"data_offsets":[0,1]}})", 1),
             {"tensor 'w': shape[0] must be a non-negative integer", "found number 1.5"});
  expect_bad(make_file(R"({"w":{"dtype":"U8","shape":[null],"data_offsets":[0,1]}})", 1),
             {"tensor 'w': shape[0]", "found null"});
  expect_bad(make_file(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":{"a":1}}})", 1),
             {"tensor 'w': 'data_offsets' must be [begin, end]", "found object"});
  expect_bad(make_file(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[1]}})", 1),
             {"tensor 'w': 'data_offsets' must be [begin, end]", "found array [1]"});
  expect_bad(make_file(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}})", 1),
             {"tensor 'w': 'data_offsets' must be [begin, end]"});
  expect_bad(make_file(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":["0",1]}})", 1),
             {"tensor 'w': data_offsets[0] (begin) must be a non-negative integer"});
}

TEST(SafetensorsBadInput, UnknownDtype) {
  expect_bad(make_file(R"({"w":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}})", 1),
             {"tensor 'w': unknown dtype 'F8_E4M3'", "expected one of BOOL"});
  expect_bad(make_file(R"({"w":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}})", 4),
             {"tensor 'w': unknown dtype 'f32'"});
}

TEST(SafetensorsBadInput, NegativeOrOverflowingShape) {
  expect_bad(make_file(R"({"w":{"dtype":"U8","shape":[2,-1],"data_offsets":[0,0]}})"),
             {"tensor 'w': shape[1] must be non-negative, found -1"});
  expect_bad(make_file(R"({"w":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,0]}})"),
             {"tensor 'w': shape[0] is 18446744073709551615, larger than 2^63-1"});
  expect_bad(make_file(R"({"w":{"dtype":"U8","shape":[99999999999999999999999],"data_offsets":[0,0]}})"),
             {"tensor 'w': shape[0] must be a non-negative integer"});
  expect_bad(make_file(R"({"w":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,0]}})"),
             {"tensor 'w': shape [4294967296,4294967296]", "more elements than fit in 64 bits"});
  expect_bad(make_file(R"({"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]}})"),
             {"tensor 'w': dtype F64", "needs more bytes than fit in 64 bits"});
}

TEST(SafetensorsBadInput, DataOffsets) {
  expect_bad(make_file(R"({"w":{"dtype":"U8","shape":[4],"data_offsets":[8,4]}})", 8),
             {"tensor 'w': data_offsets [8,4] has begin > end"});
  expect_bad(make_file(R"({"w":{"dtype":"U8","shape":[4],"data_offsets":[-4,0]}})", 8),
             {"tensor 'w': data_offsets[0] (begin) must be non-negative, found -4"});
  expect_bad(make_file(R"({"w":{"dtype":"U8","shape":[4],"data_offsets":[0,18446744073709551615]}})", 8),
             {"tensor 'w': data_offsets[1] (end) is 18446744073709551615"});
}

TEST(SafetensorsBadInput, EndPastDataSection) {
  expect_bad(make_file(R"({"x":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}})", 20),
             {"header says tensor 'x' ends at byte 24 but the data section has 20 bytes"});
}

TEST(SafetensorsBadInput, ByteSizeMismatch) {
  expect_bad(make_file(R"({"x":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})", 20),
             {"tensor 'x': dtype F32 shape [2,3] needs 24 bytes, data_offsets span 20"});
  expect_bad(make_file(R"({"s":{"dtype":"BF16","shape":[],"data_offsets":[0,4]}})", 4),
             {"tensor 's': dtype BF16 shape [] needs 2 bytes, data_offsets span 4"});
}

TEST(SafetensorsBadInput, OverlapHolesAndTrailingBytes) {
  expect_bad(make_file(R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},)"
                       R"("b":{"dtype":"U8","shape":[8],"data_offsets":[4,12]}})",
                       12),
             {"tensor 'b' (data_offsets [4,12]) overlaps tensor 'a' (data_offsets [0,8])"});
  expect_bad(make_file(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                       R"("b":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}})",
                       4),
             {"overlaps tensor 'a'"});
  expect_bad(make_file(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                       R"("b":{"dtype":"U8","shape":[4],"data_offsets":[8,12]}})",
                       12),
             {"bytes [4,8) of the data section belong to no tensor",
              "between tensor 'a' and tensor 'b'"});
  expect_bad(make_file(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}})", 8),
             {"bytes [0,4)", "before tensor 'a'"});
  expect_bad(make_file(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}})", 6),
             {"data section has 6 bytes but the tensors cover only 4",
              "trailing bytes after tensor 'a'"});
  expect_bad(make_file("{}", 3), {"the header lists no tensors"});
}

TEST(SafetensorsBadInput, MetadataNotStringMap) {
  expect_bad(make_file(R"({"__metadata__":[1]})"),
             {"__metadata__ must be an object mapping strings to strings", "found array"});
  expect_bad(make_file(R"({"__metadata__":{"format":"pt","epoch":3}})"),
             {"__metadata__: key 'epoch' must map to a string", "found number 3"});
  expect_bad(make_file(R"({"__metadata__":{"k":null}})"), {"__metadata__: key 'k'", "found null"});
}

TEST(SafetensorsBadInput, DuplicateKeys) {
  expect_bad(make_file(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                       R"("w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                       2),
             {"duplicate tensor name 'w'"});
  expect_bad(make_file(R"({"w":{"dtype":"U8","dtype":"I8","shape":[1],"data_offsets":[0,1]}})", 1),
             {"tensor 'w': duplicate key 'dtype'"});
  expect_bad(make_file(R"({"__metadata__":{"k":"a","k":"b"}})"),
             {"__metadata__: duplicate key 'k'"});
  expect_bad(make_file(R"({"__metadata__":{},"__metadata__":{}})"),
             {"duplicate tensor name '__metadata__'"});
}

TEST(SafetensorsBadInput, NamesWithControlCharactersAreEscapedInMessages) {
  expect_bad(make_file("{\"a\\nb\":{\"dtype\":\"XX\",\"shape\":[],\"data_offsets\":[0,0]}}"),
             {"tensor 'a\\x0ab': unknown dtype 'XX'"});
}
