// Batches labelled examples through a Tagger and pairs the predictions with gold.
#include "eval/tagger.h"

#include <algorithm>

#include "data/error.h"

namespace triage::eval {

EvalSet tag_examples(const std::vector<LabelledExample>& examples, Tagger& tagger, std::size_t batch_size,
                     const std::string& source) {
  if (batch_size == 0) throw Error("tag_examples: batch_size must be >= 1");
  EvalSet set;
  set.source = source;
  const std::span<const LabelledExample> all(examples);
  for (std::size_t start = 0; start < examples.size(); start += batch_size) {
    const auto batch = all.subspan(start, std::min(batch_size, examples.size() - start));
    const auto out = tagger.tag(batch);
    if (out.size() != batch.size())
      throw Error("tagger returned " + std::to_string(out.size()) + " taggings for a batch of " +
                  std::to_string(batch.size()));
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const auto& ex = batch[i];
      if (out[i].tags.size() != ex.words.size())
        throw Error("tagger returned " + std::to_string(out[i].tags.size()) + " tags for a " +
                    std::to_string(ex.words.size()) + "-word example (" + source + ":" + std::to_string(ex.line) + ")");
      if (ex.intent && !out[i].intent)
        throw InputError(source + ": the data has intents but the model predicts none (no intent head)");
      EvalSentence s;
      s.tokens = ex.words;
      s.gold = ex.tags;
      s.pred = out[i].tags;
      if (ex.intent) {
        s.gold_intent = ex.intent;
        s.pred_intent = out[i].intent;
      }
      s.line = ex.line;
      set.sentences.push_back(std::move(s));
    }
  }
  return set;
}

}  // namespace triage::eval
