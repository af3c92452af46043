// Word segmentation for raw text (JSONL transcripts, serve requests): the words the
// decode path reports tags for. Splits exactly where Hugging Face's BertPreTokenizer does:
// on whitespace (dropped), around punctuation (ASCII punctuation or Unicode P*, one word
// each) and around CJK ideographs (one word each). Characters BertNormalizer deletes
// (controls, U+FFFD, ...) separate words like whitespace, so words never start or end with
// anything a span should not include.
#pragma once

#include <string_view>
#include <vector>

#include "data/example.h"

namespace triage::data {

// Words of cps (code points); appended to out after clearing it.
void split_words(const char32_t* cps, size_t n, std::vector<CharRange>& out);

// Same for UTF-8 text; throws InputError on invalid UTF-8.
std::vector<CharRange> split_words(std::string_view utf8_text);

// Number of code points in valid UTF-8 text (no validation).
int32_t code_point_count(std::string_view utf8_text);

}  // namespace triage::data
