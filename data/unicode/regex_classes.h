// Character classes of tokenizer.json regexes as the `tokenizers` library matches them
// (generated: data/unicode/gen_regex_classes.py probes the library one code point at a
// time). data/regex.cpp registers them as Oniguruma user properties.
#pragma once

#include <oniguruma.h>

#include <array>

namespace triage::data::unicode {

struct RegexClass {
  const char* name;     // L, Lu, ..., w (\w), s (\s), d (\d)
  const char* pattern;  // the escape it stands for: \p{L}, \w, ...
  OnigCodePoint* ranges;  // {n, first, last, ...}
};

const std::array<RegexClass, 16>& regex_classes();

}  // namespace triage::data::unicode
