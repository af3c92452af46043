// RoBERTa-style tokenizer files without a tokenizer.json (vocab.json + merges.txt +
// tokenizer_config.json, as older checkpoints ship them) turned into the tokenizer.json that
// transformers' RobertaTokenizer builds from them: BPE with those merges, ByteLevel
// pre-tokenizer and RobertaProcessing with the config's add_prefix_space / trim_offsets, and
// the special tokens (added_tokens_decoder when the config has one). Torch-free.
#pragma once

#include <filesystem>
#include <string>

namespace triage::data {

// InputError naming the file for an unreadable vocabulary or merges line, or a
// tokenizer_class that is not RoBERTa's (GPT-2's and others differ: save those with
// save_pretrained, which writes tokenizer.json).
std::string roberta_tokenizer_json(const std::filesystem::path& dir);

}  // namespace triage::data
