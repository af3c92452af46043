// load_tokenizer(dir): picks the tokenizer a Hugging Face model directory defines, in the
// order tokenizer.json (WordPiece with BERT's stages: the WordPiece tokenizer; any other
// model or stages: the tokenizer.json pipeline), vocab.txt, vocab.json + merges.txt (RoBERTa), SentencePiece model file.
#include <algorithm>

#include "core/error.h"
#include "core/file_io.h"
#include "data/json_tokenizer.h"
#include "data/roberta_files.h"
#include "data/sentencepiece_tokenizer.h"
#include "data/tokenizer.h"
#include "data/wordpiece.h"

namespace triage::data {
namespace fs = std::filesystem;

namespace {

// The SentencePiece model file in dir, empty when there is none.
fs::path find_sentencepiece_model(const fs::path& dir) {
  for (const char* name : {"sentencepiece.bpe.model", "spiece.model", "tokenizer.model"})
    if (fs::is_regular_file(dir / name)) return dir / name;
  std::vector<fs::path> models;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().extension() == ".model")
      models.push_back(entry.path());
  std::sort(models.begin(), models.end());
  return models.empty() ? fs::path() : models.front();
}

std::unique_ptr<Tokenizer> load_sentencepiece(const fs::path& dir, const fs::path& model) {
  SentencePieceOptions o;
  std::string cls;
  const fs::path config_file = dir / "tokenizer_config.json";
  if (fs::exists(config_file)) {
    const nlohmann::json c = read_json_file(config_file);
    const std::string cls_name = c.value("tokenizer_class", "");
    o.fairseq_ids = cls_name.rfind("XLMRoberta", 0) == 0;
    if (!o.fairseq_ids) {
      auto name = [&](const char* key, std::string& out) {
        if (c.contains(key) && c[key].is_string()) out = c[key].get<std::string>();
      };
      name("cls_token", o.cls_token);
      name("sep_token", o.sep_token);
      name("mask_token", o.mask_token);
    }
  }
  if (model.filename() == "sentencepiece.bpe.model") o.fairseq_ids = true;
  return SentencePieceTokenizer::from_file(model, o);
}

}  // namespace

std::unique_ptr<Tokenizer> load_tokenizer(const fs::path& dir) {
  if (!fs::is_directory(dir))
    throw InputError("tokenizer directory '" + dir.string() + "' does not exist or is not a directory");
  const fs::path json_file = dir / "tokenizer.json";
  if (fs::is_regular_file(json_file)) {
    const nlohmann::json j = read_json_file(json_file);
    const std::string type = j.is_object() && j.contains("model") && j["model"].is_object()
                                 ? j["model"].value("type", "")
                                 : "";
    // WordPiece with BERT's own stages: the dedicated tokenizer (faster); any other stages
    // go through the pipeline.
    const auto stage = [&](const char* key) -> std::string {
      const auto it = j.find(key);
      if (it == j.end() || it->is_null()) return "";
      return it->is_object() ? it->value("type", "?") : "?";
    };
    if (type == "WordPiece" && (stage("normalizer").empty() || stage("normalizer") == "BertNormalizer") &&
        stage("pre_tokenizer") == "BertPreTokenizer" &&
        (stage("post_processor").empty() || stage("post_processor") == "BertProcessing" ||
         stage("post_processor") == "TemplateProcessing"))
      return WordPieceTokenizer::from_tokenizer_json(json_file);
    return JsonTokenizer::from_file(json_file);
  }
  if (fs::is_regular_file(dir / "vocab.txt")) return WordPieceTokenizer::from_vocab_txt(dir);
  if (fs::is_regular_file(dir / "vocab.json") && fs::is_regular_file(dir / "merges.txt"))
    return JsonTokenizer::from_string(roberta_tokenizer_json(dir), (dir / "vocab.json + merges.txt").string(), dir);
  if (const fs::path sp_model = find_sentencepiece_model(dir); !sp_model.empty())
    return load_sentencepiece(dir, sp_model);
  throw InputError("no tokenizer in '" + dir.string() +
                   "': looked for tokenizer.json, vocab.txt, vocab.json + merges.txt, "
                   "sentencepiece.bpe.model, spiece.model and *.model");
}

}  // namespace triage::data
