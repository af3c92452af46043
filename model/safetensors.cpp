// safetensors reading (mmap or buffer, full validation) and atomic writing; contract in
// safetensors.h. Validation follows the reference Rust implementation: tensors must cover
// the data section exactly, contiguously, without overlap. Every rejected input is an
// InputError that starts with the source and names the tensor or key.
#include "model/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "core/error.h"

namespace triage::st {
namespace {

using nlohmann::json;

struct DtypeEntry {
  Dtype dtype;
  std::string_view name;
  size_t size;
};

// Indexed by the enum value.
constexpr DtypeEntry kDtypes[] = {
    {Dtype::BOOL, "BOOL", 1}, {Dtype::U8, "U8", 1},   {Dtype::I8, "I8", 1},
    {Dtype::I16, "I16", 2},   {Dtype::U16, "U16", 2}, {Dtype::F16, "F16", 2},
    {Dtype::BF16, "BF16", 2}, {Dtype::I32, "I32", 4}, {Dtype::U32, "U32", 4},
    {Dtype::F32, "F32", 4},   {Dtype::I64, "I64", 8}, {Dtype::U64, "U64", 8},
    {Dtype::F64, "F64", 8},
};
constexpr size_t kNumDtypes = sizeof(kDtypes) / sizeof(kDtypes[0]);

const DtypeEntry& entry(Dtype dtype) {
  auto i = static_cast<size_t>(dtype);
  if (i >= kNumDtypes || kDtypes[i].dtype != dtype) {
    throw Error("safetensors: invalid Dtype value " + std::to_string(i));
  }
  return kDtypes[i];
}

// A legitimate header nests 3 deep (header, entry, shape); deeper JSON is only accepted in
// unknown fields, and bounded so hostile input cannot exhaust the stack.
constexpr size_t kMaxJsonDepth = 64;

// Quotes a name or key for an error message: printable ASCII and UTF-8 kept, control bytes
// escaped, long names cut.
std::string quote(std::string_view s) {
  constexpr size_t kMax = 200;
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f || c == '\'' || c == '\\') {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > kMax) out += "...";
  out += "'";
  return out;
}

std::string tensor_ctx(std::string_view name) { return "tensor " + quote(name) + ": "; }

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

// A short rendering of a JSON value for "found ..." in messages.
std::string found(const json& j) {
  std::string d = j.dump(-1, ' ', false, json::error_handler_t::replace);
  if (d.size() > 80) d = d.substr(0, 77) + "...";
  return std::string(j.type_name()) + " " + d;
}

// Strict UTF-8 (no overlong forms, no surrogates, at most U+10FFFF), as Rust's from_utf8.
// Returns the offset of the first bad byte, or npos.
size_t invalid_utf8_at(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return i;
    }
    if (n - i < len) return i;
    if (p[i + 1] < lo || p[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

// Reads a non-negative JSON integer that fits in int64 (shape dims, offsets); otherwise
// throws with what was found.
int64_t non_negative_int(const json& j, const std::string& ctx, const std::string& what) {
  if (j.is_number_unsigned()) {
    uint64_t v = j.get<uint64_t>();
    if (v > static_cast<uint64_t>(INT64_MAX)) {
      throw InputError(ctx + what + " is " + std::to_string(v) + ", larger than 2^63-1");
    }
    return static_cast<int64_t>(v);
  }
  if (j.is_number_integer()) {
    int64_t v = j.get<int64_t>();
    if (v < 0) throw InputError(ctx + what + " must be non-negative, found " + std::to_string(v));
    return v;
  }
  throw InputError(ctx + what + " must be a non-negative integer, found " + found(j));
}

// Tracks the keys of every open JSON object while parsing: nlohmann keeps the last of
// duplicate keys silently, the format forbids them.
class DuplicateKeyGuard {
 public:
  explicit DuplicateKeyGuard(const std::string& src) : src_(src) {}

  bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (frames_.size() >= kMaxJsonDepth) {
          throw InputError(src_ + ": header JSON nests deeper than " +
                           std::to_string(kMaxJsonDepth) + " levels");
        }
        frames_.push_back(
            {event == json::parse_event_t::object_start, {}, owner_key(), std::string()});
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!frames_.empty()) frames_.pop_back();
        break;
      case json::parse_event_t::key: {
        if (frames_.empty()) break;
        Frame& f = frames_.back();
        const std::string& key = parsed.get_ref<const std::string&>();
        if (!f.keys.insert(key).second) {
          if (frames_.size() == 1) {
            throw InputError(src_ + ": duplicate tensor name " + quote(key) + " in header");
          }
          if (frames_.size() == 2 && f.owner == "__metadata__") {
            throw InputError(src_ + ": __metadata__: duplicate key " + quote(key));
          }
          if (frames_.size() == 2) {
            throw InputError(src_ + ": " + tensor_ctx(f.owner) + "duplicate key " + quote(key));
          }
          throw InputError(src_ + ": duplicate key " + quote(key) + " in header JSON");
        }
        f.last_key = key;
        break;
      }
      case json::parse_event_t::value:
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool is_object;
    std::set<std::string> keys;
    std::string owner;     // key under which this container sits in its parent object
    std::string last_key;  // most recent key of this object
  };
  std::string owner_key() const {
    if (frames_.empty() || !frames_.back().is_object) return {};
    return frames_.back().last_key;
  }
  const std::string& src_;
  std::vector<Frame> frames_;
};

struct Parsed {
  std::vector<TensorInfo> tensors;
  std::map<std::string, std::string> metadata;
};

void check_min_size(const std::string& src, uint64_t size) {
  if (size < 8) {
    throw InputError(src + ": file is " + std::to_string(size) +
                     " bytes, too short for safetensors (expected at least 8 bytes: the "
                     "little-endian header length)");
  }
}

std::map<std::string, std::string> parse_metadata(const json& j, const std::string& src) {
  std::map<std::string, std::string> out;
  if (j.is_null()) return out;  // the reference implementation reads null as absent
  if (!j.is_object()) {
    throw InputError(src + ": __metadata__ must be an object mapping strings to strings, found " +
                     found(j));
  }
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string()) {
      throw InputError(src + ": __metadata__: key " + quote(k) + " must map to a string, found " +
                       found(v));
    }
    out.emplace(k, v.get<std::string>());
  }
  return out;
}

std::string dtype_list() {
  std::string s;
  for (const auto& d : kDtypes) {
    if (!s.empty()) s += ", ";
    s += d.name;
  }
  return s;
}

// Validates the whole buffer; every pointer it hands out lies inside [buf, buf + size).
Parsed parse(const std::byte* buf, size_t size, const std::string& src) {
  check_min_size(src, size);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) {
    header_len = (header_len << 8) | static_cast<uint64_t>(std::to_integer<uint8_t>(buf[i]));
  }
  if (header_len > kMaxHeaderBytes) {
    throw InputError(src + ": header length is " + std::to_string(header_len) +
                     " bytes, more than the " + std::to_string(kMaxHeaderBytes) +
                     "-byte limit (corrupt file or not safetensors)");
  }
  if (header_len > size - 8) {
    throw InputError(src + ": header length is " + std::to_string(header_len) +
                     " bytes but only " + std::to_string(size - 8) +
                     " bytes follow the 8-byte length prefix (truncated file?)");
  }
  std::string_view text(reinterpret_cast<const char*>(buf + 8), header_len);
  if (size_t bad = invalid_utf8_at(text); bad != std::string_view::npos) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(text[bad]));
    throw InputError(src + ": header is not valid UTF-8 (byte " + hex + " at header offset " +
                     std::to_string(bad) + ")");
  }

  json header;
  try {
    DuplicateKeyGuard guard(src);
    header = json::parse(text, std::ref(guard), /*allow_exceptions=*/true,
                         /*ignore_comments=*/false);
  } catch (const json::exception& e) {
    std::string what = e.what();
    if (auto p = what.find("] "); p != std::string::npos && what.rfind("[json.", 0) == 0) {
      what = what.substr(p + 2);
    }
    throw InputError(src + ": header is not valid JSON: " + what);
  }
  if (!header.is_object()) {
    throw InputError(src + ": header must be a JSON object {name: {dtype, shape, "
                     "data_offsets}}, found " + found(header));
  }

  const uint64_t data_size = size - 8 - header_len;
  const std::byte* data = buf + 8 + header_len;
  Parsed out;
  struct Span {
    uint64_t begin, end;
    size_t index;
  };
  std::vector<Span> spans;
  // nlohmann objects are std::maps: iteration is already sorted by name.
  for (const auto& [name, e] : header.items()) {
    if (name == "__metadata__") {
      out.metadata = parse_metadata(e, src);
      continue;
    }
    const std::string ctx = src + ": " + tensor_ctx(name);
    if (!e.is_object()) {
      throw InputError(ctx + "entry must be an object with dtype, shape and data_offsets, found " +
                       found(e));
    }
    for (const char* key : {"dtype", "shape", "data_offsets"}) {
      if (!e.contains(key)) throw InputError(ctx + "missing '" + key + "'");
    }
    const json& jd = e["dtype"];
    if (!jd.is_string()) throw InputError(ctx + "'dtype' must be a string, found " + found(jd));
    auto dtype = parse_dtype(jd.get_ref<const std::string&>());
    if (!dtype) {
      throw InputError(ctx + "unknown dtype " + quote(jd.get_ref<const std::string&>()) +
                       " (expected one of " + dtype_list() + ")");
    }
    const json& js = e["shape"];
    if (!js.is_array()) {
      throw InputError(ctx + "'shape' must be an array of non-negative integers, found " +
                       found(js));
    }
    std::vector<int64_t> shape;
    shape.reserve(js.size());
    int64_t numel = 1;
    for (size_t i = 0; i < js.size(); ++i) {
      int64_t d = non_negative_int(js[i], ctx, "shape[" + std::to_string(i) + "]");
      shape.push_back(d);
      if (__builtin_mul_overflow(numel, d, &numel)) {
        throw InputError(ctx + "shape " + shape_str(shape) +
                         "... has more elements than fit in 64 bits");
      }
    }
    const size_t elem = dtype_size(*dtype);
    uint64_t need = 0;
    if (__builtin_mul_overflow(static_cast<uint64_t>(numel), static_cast<uint64_t>(elem), &need)) {
      throw InputError(ctx + "dtype " + std::string(dtype_name(*dtype)) + " shape " +
                       shape_str(shape) + " needs more bytes than fit in 64 bits");
    }
    const json& jo = e["data_offsets"];
    if (!jo.is_array() || jo.size() != 2) {
      throw InputError(ctx + "'data_offsets' must be [begin, end], found " + found(jo));
    }
    auto begin = static_cast<uint64_t>(non_negative_int(jo[0], ctx, "data_offsets[0] (begin)"));
    auto end = static_cast<uint64_t>(non_negative_int(jo[1], ctx, "data_offsets[1] (end)"));
    if (begin > end) {
      throw InputError(ctx + "data_offsets [" + std::to_string(begin) + "," + std::to_string(end) +
                       "] has begin > end");
    }
    if (end > data_size) {
      throw InputError(src + ": header says tensor " + quote(name) + " ends at byte " +
                       std::to_string(end) + " but the data section has " +
                       std::to_string(data_size) + " bytes (truncated file?)");
    }
    if (end - begin != need) {
      throw InputError(ctx + "dtype " + std::string(dtype_name(*dtype)) + " shape " +
                       shape_str(shape) + " needs " + std::to_string(need) +
                       " bytes, data_offsets span " + std::to_string(end - begin));
    }
    spans.push_back({begin, end, out.tensors.size()});
    TensorInfo t;
    t.name = name;
    t.dtype = *dtype;
    t.shape = std::move(shape);
    t.data = data + begin;
    t.nbytes = static_cast<size_t>(need);
    out.tensors.push_back(std::move(t));
  }

  // Contiguous cover of the data section, as the reference implementation requires.
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return std::tie(a.begin, a.end, a.index) < std::tie(b.begin, b.end, b.index);
  });
  uint64_t covered = 0;
  const Span* prev = nullptr;
  auto offsets = [](const Span& s) {
    return "[" + std::to_string(s.begin) + "," + std::to_string(s.end) + "]";
  };
  for (const Span& s : spans) {
    const std::string& name = out.tensors[s.index].name;
    if (s.begin < covered) {
      throw InputError(src + ": tensor " + quote(name) + " (data_offsets " + offsets(s) +
                       ") overlaps tensor " + quote(out.tensors[prev->index].name) +
                       " (data_offsets " + offsets(*prev) + ")");
    }
    if (s.begin > covered) {
      throw InputError(src + ": bytes [" + std::to_string(covered) + "," +
                       std::to_string(s.begin) + ") of the data section belong to no tensor " +
                       (prev ? "(hole between tensor " + quote(out.tensors[prev->index].name) +
                                   " and tensor " + quote(name) + ")"
                             : "(before tensor " + quote(name) + ")") +
                       "; tensors must cover the data section contiguously");
    }
    covered = s.end;
    prev = &s;
  }
  if (covered != data_size) {
    throw InputError(src + ": the data section has " + std::to_string(data_size) +
                     " bytes but the tensors cover only " + std::to_string(covered) +
                     (prev ? " (trailing bytes after tensor " + quote(out.tensors[prev->index].name) +
                                 ")"
                           : " (the header lists no tensors)"));
  }
  return out;
}

// ---- writing ----------------------------------------------------------------------------

struct Plan {
  std::vector<std::byte> head;  // 8-byte length + padded JSON header
  std::vector<size_t> order;    // indices into tensors, in file order
  uint64_t data_size = 0;
};

Plan plan(const std::vector<TensorToWrite>& tensors,
          const std::map<std::string, std::string>& metadata, const std::string& dest) {
  std::set<std::string_view> names;
  for (const auto& t : tensors) {
    const std::string ctx = dest + ": " + tensor_ctx(t.name);
    if (t.name == "__metadata__") throw InputError(ctx + "the name is reserved for metadata");
    if (!names.insert(t.name).second) {
      throw InputError(dest + ": duplicate tensor name " + quote(t.name));
    }
    if (invalid_utf8_at(t.name) != std::string_view::npos) {
      throw InputError(ctx + "the name is not valid UTF-8");
    }
    int64_t numel = 1;
    for (int64_t d : t.shape) {
      if (d < 0) {
        throw InputError(ctx + "shape " + shape_str(t.shape) + " has a negative dimension");
      }
      if (__builtin_mul_overflow(numel, d, &numel)) {
        throw InputError(ctx + "shape " + shape_str(t.shape) + " overflows 64 bits");
      }
    }
    uint64_t need = 0;
    bool overflow = __builtin_mul_overflow(static_cast<uint64_t>(numel),
                                           static_cast<uint64_t>(dtype_size(t.dtype)), &need);
    if (overflow || need != t.nbytes) {
      throw InputError(ctx + "dtype " + std::string(dtype_name(t.dtype)) + " shape " +
                       shape_str(t.shape) + " needs " +
                       (overflow ? std::string("more than 2^64") : std::to_string(need)) +
                       " bytes, got nbytes " + std::to_string(t.nbytes));
    }
    if (t.nbytes > 0 && t.data == nullptr) throw InputError(ctx + "data is null");
  }
  for (const auto& [k, v] : metadata) {
    if (invalid_utf8_at(k) != std::string_view::npos ||
        invalid_utf8_at(v) != std::string_view::npos) {
      throw InputError(dest + ": __metadata__: key " + quote(k) + " or its value is not valid UTF-8");
    }
  }

  Plan p;
  p.order.resize(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) p.order[i] = i;
  std::sort(p.order.begin(), p.order.end(), [&](size_t a, size_t b) {
    size_t sa = dtype_size(tensors[a].dtype), sb = dtype_size(tensors[b].dtype);
    if (sa != sb) return sa > sb;
    return tensors[a].name < tensors[b].name;
  });

  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (size_t i : p.order) {
    const auto& t = tensors[i];
    header[t.name] = {{"dtype", dtype_name(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + t.nbytes}}};
    offset += t.nbytes;
  }
  p.data_size = offset;
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  if (text.size() > kMaxHeaderBytes) {
    throw InputError(dest + ": header would be " + std::to_string(text.size()) +
                     " bytes, more than the " + std::to_string(kMaxHeaderBytes) + "-byte limit");
  }
  p.head.resize(8 + text.size());
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) p.head[i] = static_cast<std::byte>((n >> (8 * i)) & 0xff);
  std::memcpy(p.head.data() + 8, text.data(), text.size());
  return p;
}

[[noreturn]] void io_fail(const std::string& what, const std::filesystem::path& file, int err) {
  throw Error(what + " " + file.string() + ": " + std::strerror(err));
}

void write_all(int fd, const void* data, size_t n, const std::filesystem::path& tmp) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, std::min<size_t>(n, size_t{1} << 30));
    if (w < 0) {
      if (errno == EINTR) continue;
      io_fail("cannot write", tmp, errno);
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

}  // namespace

size_t dtype_size(Dtype dtype) { return entry(dtype).size; }

std::string_view dtype_name(Dtype dtype) { return entry(dtype).name; }

std::optional<Dtype> parse_dtype(std::string_view name) {
  for (const auto& d : kDtypes) {
    if (d.name == name) return d.dtype;
  }
  return std::nullopt;
}

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;  // validated not to overflow by the reader
  return n;
}

struct Reader::Impl {
  std::string source;
  std::vector<std::byte> owned;  // from_buffer
  void* map = nullptr;           // open: the read-only mapping
  size_t map_len = 0;
  Parsed parsed;

  ~Impl() {
    if (map) ::munmap(map, map_len);
  }
};

Reader::Reader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Reader::Reader(Reader&&) noexcept = default;
Reader& Reader::operator=(Reader&&) noexcept = default;
Reader::~Reader() = default;

Reader Reader::open(const std::filesystem::path& file) {
  auto impl = std::make_unique<Impl>();
  impl->source = file.string();
  const std::string& src = impl->source;
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string msg = src + ": cannot open: " + std::strerror(err);
    if (err == ENOENT || err == ENOTDIR) throw InputError(msg);
    throw Error(msg);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    io_fail("cannot stat", file, err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw InputError(src + ": not a regular file (expected a .safetensors file)");
  }
  auto size = static_cast<uint64_t>(st.st_size);
  if (size < 8) {
    ::close(fd);
    check_min_size(src, size);
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int err = errno;
  ::close(fd);
  if (map == MAP_FAILED) io_fail("cannot mmap", file, err);
  impl->map = map;
  impl->map_len = size;
  impl->parsed = parse(static_cast<const std::byte*>(map), size, src);
  return Reader(std::move(impl));
}

Reader Reader::from_buffer(std::vector<std::byte> bytes, std::string source) {
  auto impl = std::make_unique<Impl>();
  impl->source = std::move(source);
  impl->owned = std::move(bytes);
  impl->parsed = parse(impl->owned.data(), impl->owned.size(), impl->source);
  return Reader(std::move(impl));
}

const std::vector<TensorInfo>& Reader::tensors() const { return impl_->parsed.tensors; }

const TensorInfo* Reader::find(std::string_view name) const {
  const auto& ts = impl_->parsed.tensors;
  auto it = std::lower_bound(ts.begin(), ts.end(), name,
                             [](const TensorInfo& t, std::string_view n) { return t.name < n; });
  return it != ts.end() && it->name == name ? &*it : nullptr;
}

const std::map<std::string, std::string>& Reader::metadata() const {
  return impl_->parsed.metadata;
}

const std::string& Reader::source() const { return impl_->source; }

std::vector<std::byte> serialize(const std::vector<TensorToWrite>& tensors,
                                 const std::map<std::string, std::string>& metadata) {
  Plan p = plan(tensors, metadata, "<memory>");
  std::vector<std::byte> out = std::move(p.head);
  size_t pos = out.size();
  out.resize(pos + p.data_size);
  for (size_t i : p.order) {
    if (tensors[i].nbytes) std::memcpy(out.data() + pos, tensors[i].data, tensors[i].nbytes);
    pos += tensors[i].nbytes;
  }
  return out;
}

void write(const std::filesystem::path& file, const std::vector<TensorToWrite>& tensors,
           const std::map<std::string, std::string>& metadata) {
  if (file.filename().empty()) {
    throw InputError(file.string() + ": not a file name (the path ends with a separator)");
  }
  Plan p = plan(tensors, metadata, file.string());
  std::filesystem::path dir = file.parent_path();
  if (dir.empty()) dir = ".";

  // O_EXCL on a unique name in the same directory, so the rename is atomic; mode 0666 lets
  // the umask decide the final permissions, as for any newly created file.
  static std::atomic<uint64_t> counter{0};
  std::filesystem::path tmp;
  int fd = -1;
  for (int attempt = 0;; ++attempt) {
    std::string name = ".";
    name += file.filename().string();
    name += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    tmp = dir / name;
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) break;
    if (errno != EEXIST || attempt >= 100) io_fail("cannot create temporary file", tmp, errno);
  }
  try {
    write_all(fd, p.head.data(), p.head.size(), tmp);
    for (size_t i : p.order) {
      if (tensors[i].nbytes) write_all(fd, tensors[i].data, tensors[i].nbytes, tmp);
    }
    if (::fsync(fd) != 0) io_fail("cannot fsync", tmp, errno);
    int rc = ::close(fd);
    fd = -1;
    if (rc != 0) io_fail("cannot close", tmp, errno);
    if (::rename(tmp.c_str(), file.c_str()) != 0) {
      int err = errno;
      throw Error("cannot rename " + tmp.string() + " to " + file.string() + ": " +
                  std::strerror(err));
    }
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  // Make the rename itself durable; failure here leaves a complete file, so it is ignored.
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace triage::st
