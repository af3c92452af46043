// CoNLL predictions reader (conlleval's input with an optional intent line per sentence).
#include "eval/predictions.h"

#include <fstream>
#include <sstream>

#include "core/error.h"

namespace triage::eval {

namespace {

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\v' || line[i] == '\f'))
      ++i;
    const std::size_t start = i;
    while (i < line.size() && !(line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\v' || line[i] == '\f'))
      ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

}  // namespace

bool EvalSet::has_intents() const {
  for (const auto& s : sentences)
    if (s.gold_intent) return true;
  return false;
}

int64_t EvalSet::token_count() const {
  int64_t n = 0;
  for (const auto& s : sentences) n += static_cast<int64_t>(s.gold.size());
  return n;
}

std::string locate(const EvalSet& set, std::size_t sentence, int64_t token) {
  const std::string src = set.source.empty() ? "<input>" : set.source;
  if (sentence >= set.sentences.size()) return src;
  const auto& s = set.sentences[sentence];
  if (token >= 0 && static_cast<std::size_t>(token) < s.token_lines.size())
    return src + ":" + std::to_string(s.token_lines[static_cast<std::size_t>(token)]);
  if (s.line > 0) return src + ":" + std::to_string(s.line);
  return src + ": sentence " + std::to_string(sentence + 1) +
         (token >= 0 ? ", token " + std::to_string(token + 1) : std::string());
}

EvalSet parse_predictions(std::string_view text, const std::string& source) {
  EvalSet set;
  set.source = source;
  EvalSentence current;
  bool open = false;  // current has tokens or an intent
  std::size_t columns = 0;
  int64_t columns_line = 0;
  auto where = [&](int64_t line) { return source + ":" + std::to_string(line); };
  auto flush = [&] {
    if (open) set.sentences.push_back(std::move(current));
    current = EvalSentence{};
    open = false;
  };

  int64_t line_no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t nl = text.find('\n', pos);
    const std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    const auto f = fields(line);
    if (f.empty()) {
      flush();
      continue;
    }
    if (f[0] == "-DOCSTART-") {
      flush();
      continue;
    }
    if (f[0] == "#" && f.size() >= 2 && f[1] == "intent:") {
      if (f.size() != 4)
        throw InputError(where(line_no) + ": expected '# intent: GOLD PRED' (two intent labels), found " +
                         std::to_string(f.size() - 2) + " value(s)");
      if (!current.gold.empty())
        throw InputError(where(line_no) +
                         ": '# intent:' line inside a sentence; put it right before the sentence's first token "
                         "(after a blank line)");
      if (current.gold_intent)
        throw InputError(where(line_no) + ": second '# intent:' line for the same sentence (first on line " +
                         std::to_string(current.line) + ")");
      current.gold_intent = std::string(f[2]);
      current.pred_intent = std::string(f[3]);
      current.line = line_no;
      open = true;
      continue;
    }
    if (f.size() < 3)
      throw InputError(where(line_no) + ": expected at least 3 columns (token ... gold predicted), found " +
                       std::to_string(f.size()));
    if (columns == 0) {
      columns = f.size();
      columns_line = line_no;
    } else if (f.size() != columns) {
      throw InputError(where(line_no) + ": expected " + std::to_string(columns) + " columns as on line " +
                       std::to_string(columns_line) + ", found " + std::to_string(f.size()));
    }
    if (!open) current.line = line_no;
    open = true;
    current.tokens.emplace_back(f[0]);
    current.gold.emplace_back(f[f.size() - 2]);
    current.pred.emplace_back(f[f.size() - 1]);
    current.token_lines.push_back(line_no);
  }
  flush();

  if (set.token_count() == 0) throw InputError(source + ": no tokens found (expected CoNLL lines: token ... gold predicted)");
  const bool intents = set.has_intents();
  if (intents)
    for (const auto& s : set.sentences)
      if (!s.gold_intent)
        throw InputError(where(s.line) +
                         ": sentence has no '# intent: GOLD PRED' line, but other sentences do; give every "
                         "sentence one or none");
  return set;
}

EvalSet read_predictions(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(file.string() + ": cannot open predictions file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_predictions(ss.str(), file.string());
}

}  // namespace triage::eval
