// Oniguruma behind data::Regex (see regex.h).
#include "data/regex.h"

#include <oniguruma.h>

#include <cctype>
#include <mutex>

#include "core/error.h"
#include "data/unicode/regex_classes.h"
#include "data/utf8.h"

namespace triage::data {

namespace {

// The user property of generated class i ("TokClass3"; Oniguruma compares property names
// ignoring case, so the classes' own names, "s" and "S", could not both be used).
std::string property_name(size_t i) { return "TokClass" + std::to_string(i); }

void init_oniguruma() {
  static std::once_flag once;
  std::call_once(once, [] {
    OnigEncoding encodings[] = {ONIG_ENCODING_UTF8};
    onig_initialize(encodings, 1);
    const auto& classes = unicode::regex_classes();
    for (size_t i = 0; i < classes.size(); ++i) {
      const int r = onig_unicode_define_user_property(property_name(i).c_str(), classes[i].ranges);
      if (r != ONIG_NORMAL) throw std::logic_error(std::string("Oniguruma refused user property for ") + classes[i].pattern);
    }
  });
}

// The generated class written `written` (\p{L}, \w, ...); -1 when there is none.
int class_written(std::string_view written) {
  const auto& classes = unicode::regex_classes();
  for (size_t i = 0; i < classes.size(); ++i)
    if (written == classes[i].pattern) return static_cast<int>(i);
  return -1;
}

// The pattern with every generated class (\p{X}, \P{X}, \p{^X}, \w \W \s \S \d \D) replaced
// by its user property, so that the classes are the tokenizers library's (newer Unicode) and
// not Debian's Oniguruma tables. Everything else is kept byte for byte.
std::string with_generated_classes(std::string_view p) {
  std::string out;
  out.reserve(p.size() + 16);
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] != '\\' || i + 1 >= p.size()) {
      out += p[i];
      continue;
    }
    const char e = p[i + 1];
    bool negate = e == 'W' || e == 'S' || e == 'D' || e == 'P';
    std::string written = {'\\', static_cast<char>(std::tolower(static_cast<unsigned char>(e)))};  // \w \s \d
    size_t end = i + 1;  // the escape's last byte
    if (e == 'p' || e == 'P') {
      const auto close = p.find('}', i + 2);
      if (i + 2 < p.size() && p[i + 2] == '{' && close != std::string_view::npos) {
        std::string_view name = p.substr(i + 3, close - i - 3);
        if (!name.empty() && name.front() == '^') {
          negate = !negate;
          name.remove_prefix(1);
        }
        written = "\\p{" + std::string(name) + "}";
        end = close;
      }
    }
    if (const int c = class_written(written); c >= 0) {
      out += negate ? "\\P{" : "\\p{";
      out += property_name(static_cast<size_t>(c));
      out += '}';
      i = end;
      continue;
    }
    out += p[i];  // any other escape: copied as it is (with the escaped character)
    out += e;
    ++i;
  }
  return out;
}

}  // namespace

struct Regex::Impl {
  regex_t* re = nullptr;
  ~Impl() {
    if (re) onig_free(re);
  }
};

Regex::Regex(std::string_view pattern, const std::string& where) : impl_(std::make_unique<Impl>()), pattern_(pattern) {
  init_oniguruma();
  OnigErrorInfo info;
  const std::string rewritten = with_generated_classes(pattern);
  const auto* p = reinterpret_cast<const OnigUChar*>(rewritten.data());
  const int r = onig_new(&impl_->re, p, p + rewritten.size(), ONIG_OPTION_NONE, ONIG_ENCODING_UTF8, ONIG_SYNTAX_RUBY,
                         &info);
  if (r != ONIG_NORMAL) {
    OnigUChar msg[ONIG_MAX_ERROR_MESSAGE_LEN];
    onig_error_code_to_str(msg, r, &info);
    impl_->re = nullptr;
    throw InputError(where + ": invalid regular expression '" + std::string(pattern) + "': " +
                     reinterpret_cast<const char*>(msg));
  }
}

Regex::~Regex() = default;
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;

void Regex::find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const {
  OnigRegion* region = onig_region_new();
  const auto* begin = reinterpret_cast<const OnigUChar*>(text.data());
  const auto* end = begin + text.size();
  size_t pos = 0;
  while (pos <= text.size()) {
    const int r = onig_search(impl_->re, begin, end, begin + pos, end, region, ONIG_OPTION_NONE);
    if (r < 0) break;  // ONIG_MISMATCH (or an error: no further matches)
    const auto b = static_cast<size_t>(region->beg[0]);
    const auto e = static_cast<size_t>(region->end[0]);
    out.emplace_back(b, e);
    if (e > b) {
      pos = e;
    } else {
      if (e >= text.size()) break;
      pos = e + utf8::sequence_length(static_cast<unsigned char>(text[e]));
    }
  }
  onig_region_free(region, 1);
}

}  // namespace triage::data
