// The CRF head (issue 18): the forward algorithm's partition function, the gold-path score, the
// training loss and Viterbi's best path under the learned transitions all equal brute-force
// enumeration over every tag sequence of short random sequences; the head saves, loads and is
// refused where a checkpoint lacks it.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <random>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "core/error.h"
#include "data/decode.h"
#include "data/viterbi.h"
#include "model/checkpoint.h"
#include "model/crf.h"
#include "model/inference_options.h"
#include "tests/common/test_util.h"
#include "train/loss.h"
#include "train/train_config.h"

namespace fs = std::filesystem;
using namespace triage;
using namespace triage::model;
using triage::testing::error_of;
using triage::testing::TempDir;

namespace {

// Every sequence of length n over L labels, in lexicographic order.
void for_each_sequence(int64_t n, int64_t L, const std::function<void(const std::vector<int64_t>&)>& f) {
  std::vector<int64_t> seq(static_cast<size_t>(n), 0);
  while (true) {
    f(seq);
    int64_t i = n - 1;
    while (i >= 0 && ++seq[static_cast<size_t>(i)] == L) seq[static_cast<size_t>(i--)] = 0;
    if (i < 0) return;
  }
}

// The CRF score of one sequence of row b, in double, from the definition.
double path_score(const CrfImpl& crf, const torch::Tensor& em, int64_t b, const std::vector<int64_t>& tags) {
  auto e = em.to(torch::kDouble);
  auto st = crf.start_transitions.to(torch::kDouble), en = crf.end_transitions.to(torch::kDouble),
       tr = crf.transitions.to(torch::kDouble);
  double s = st[tags[0]].item<double>();
  for (size_t i = 0; i < tags.size(); ++i) {
    s += e[b][static_cast<int64_t>(i)][tags[i]].item<double>();
    if (i) s += tr[tags[i - 1]][tags[i]].item<double>();
  }
  return s + en[tags.back()].item<double>();
}

Crf random_crf(int64_t L, uint64_t seed) {
  Crf crf(L);
  torch::NoGradGuard ng;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (auto* t : {&crf->start_transitions, &crf->end_transitions, &crf->transitions}) t->normal_(0.0, 1.5, gen);
  return crf;
}

}  // namespace

TEST(Crf, PartitionAndScoreEqualBruteForce) {
  const int64_t L = 4, N = 5;
  const std::vector<int64_t> lengths{5, 1, 3, 0, 2};  // rows of every length, one empty
  for (uint64_t trial = 0; trial < 5; ++trial) {
    auto crf = random_crf(L, 11 + trial);
    torch::manual_seed(static_cast<int64_t>(trial));
    auto em = torch::randn({static_cast<int64_t>(lengths.size()), N, L}) * 2;
    auto mask = torch::zeros({static_cast<int64_t>(lengths.size()), N}, torch::kBool);
    auto tags = torch::randint(0, L, {static_cast<int64_t>(lengths.size()), N});
    for (size_t b = 0; b < lengths.size(); ++b) mask[static_cast<int64_t>(b)].slice(0, 0, lengths[b]).fill_(true);
    const auto log_z = crf->log_partition(em, mask), score = crf->score(em, tags, mask);
    for (size_t b = 0; b < lengths.size(); ++b) {
      const auto bi = static_cast<int64_t>(b);
      if (lengths[b] == 0) {
        EXPECT_EQ(log_z[bi].item<double>(), 0.0);
        EXPECT_EQ(score[bi].item<double>(), 0.0);
        continue;
      }
      double m = -std::numeric_limits<double>::infinity(), sum = 0;
      std::vector<double> all;
      for_each_sequence(lengths[b], L, [&](const std::vector<int64_t>& s) { all.push_back(path_score(*crf, em, bi, s)); });
      for (double v : all) m = std::max(m, v);
      for (double v : all) sum += std::exp(v - m);
      EXPECT_NEAR(log_z[bi].item<double>(), m + std::log(sum), 1e-4) << "trial " << trial << " row " << b;
      std::vector<int64_t> gold(static_cast<size_t>(lengths[b]));
      for (int64_t i = 0; i < lengths[b]; ++i) gold[static_cast<size_t>(i)] = tags[bi][i].item<int64_t>();
      EXPECT_NEAR(score[bi].item<double>(), path_score(*crf, em, bi, gold), 1e-4);
    }
  }
}

TEST(Crf, TokenLossIsMeanNegativeLogLikelihoodOverLabelledPositions) {
  const int64_t L = 3;
  auto crf = random_crf(L, 5);
  torch::manual_seed(3);
  auto logits = torch::randn({2, 6, L}).requires_grad_();
  // Row 0: words at 1, 2, 4 (sub-words and specials -100); row 1: one word at 3.
  auto labels = torch::full({2, 6}, -100, torch::kLong);
  labels[0][1] = 1, labels[0][2] = 2, labels[0][4] = 0, labels[1][3] = 2;
  const auto w = labelled_words(logits, labels);
  EXPECT_EQ(w.count, 4);
  ASSERT_EQ(w.tags.sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_TRUE(torch::equal(w.tags, torch::tensor({{1, 2, 0}, {2, 0, 0}}, torch::kLong)));
  EXPECT_TRUE(torch::equal(w.mask, torch::tensor({{true, true, true}, {true, false, false}})));
  EXPECT_TRUE(torch::equal(w.emissions[0][2], logits[0][4]));
  auto loss = crf_token_loss(*crf, logits, labels);
  // brute force: -log p(gold) of each row from every sequence's score
  auto nll = [&](std::vector<int64_t> pos, std::vector<int64_t> gold, int64_t b) {
    auto em = logits.detach()[b].index({torch::tensor(pos)}).unsqueeze(0);  // [1, n, L]
    double m = -1e300, sum = 0;
    std::vector<double> all;
    for_each_sequence(static_cast<int64_t>(pos.size()), L, [&](const std::vector<int64_t>& s) { all.push_back(path_score(*crf, em, 0, s)); });
    for (double v : all) m = std::max(m, v);
    for (double v : all) sum += std::exp(v - m);
    return m + std::log(sum) - path_score(*crf, em, 0, gold);
  };
  const double expected = (nll({1, 2, 4}, {1, 2, 0}, 0) + nll({3}, {2}, 1)) / 4.0;
  EXPECT_NEAR(loss.item<double>(), expected, 1e-5);
  loss.backward();
  EXPECT_GT(crf->transitions.grad().abs().sum().item<double>(), 0);
  EXPECT_EQ(logits.grad()[0][0].abs().sum().item<double>(), 0);  // unlabelled positions get nothing
  // the training objective takes it instead of the cross-entropy
  train::LossSettings s;
  s.intent_weight = 0;
  s.crf = crf.get();
  EXPECT_NEAR(train::compute_loss(logits, labels, {}, {}, s).token, expected, 1e-5);
  // nothing labelled: 0 with a zero gradient (not NaN)
  auto none = torch::randn({1, 4, L}).requires_grad_();
  auto zero = crf_token_loss(*crf, none, torch::full({1, 4}, -100, torch::kLong));
  zero.backward();
  EXPECT_EQ(zero.item<double>(), 0.0);
  EXPECT_EQ(none.grad().abs().sum().item<double>(), 0.0);
}

TEST(Crf, ViterbiUnderLearnedTransitionsEqualsBruteForceOverValidBio) {
  // Label columns in a checkpoint's own order; schema tag ids are O, B-a, I-a, B-b, I-b.
  const std::vector<int32_t> column_of_tag{1, 0, 2, 4, 3};
  const int32_t T = 5;
  std::mt19937 rng(9);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  for (uint64_t trial = 0; trial < 30; ++trial) {
    auto crf = random_crf(T, 100 + trial);
    const auto t = crf->transitions_for(column_of_tag);
    const int32_t n = 1 + static_cast<int32_t>(trial % 5);
    std::vector<float> e(static_cast<size_t>(n) * T);
    for (auto& v : e) v = normal(rng);
    const auto path = data::viterbi(e.data(), n, t);
    EXPECT_TRUE(data::valid_bio(path));
    double best = -1e300;
    std::vector<int32_t> arg;
    auto col = [&](int32_t tag) { return static_cast<int64_t>(column_of_tag[static_cast<size_t>(tag)]); };
    for_each_sequence(n, T, [&](const std::vector<int64_t>& s) {
      std::vector<int32_t> tags(s.begin(), s.end());
      if (!data::valid_bio(tags)) return;
      double v = crf->start_transitions[col(tags[0])].item<double>() + crf->end_transitions[col(tags.back())].item<double>();
      for (int32_t i = 0; i < n; ++i) {
        v += e[static_cast<size_t>(i) * T + static_cast<size_t>(tags[static_cast<size_t>(i)])];
        if (i) v += crf->transitions[col(tags[static_cast<size_t>(i - 1)])][col(tags[static_cast<size_t>(i)])].item<double>();
      }
      if (v > best + 1e-9) best = v, arg = tags;
    });
    EXPECT_EQ(path, arg) << "trial " << trial;
  }
  // decode_tags' crf mode needs the transitions
  std::vector<float> probs{0.2f, 0.8f, 0.f, 0.f, 0.f};
  const std::vector<data::CharRange> words{{0, 1}};
  auto msg = error_of<std::exception>([&] {
    data::decode_tags(probs.data(), 1, T, words, words, data::Aggregation::first, data::DecodeMode::crf);
  });
  EXPECT_NE(msg.find("decode mode crf needs the CRF's transitions"), std::string::npos) << msg;
}

TEST(Crf, SavedBesideTheTokenHeadAndRefusedWhereAbsent) {
  TempDir tmp;
  nlohmann::json cfg = {{"model_type", "bert"}, {"vocab_size", 50}, {"hidden_size", 8}, {"num_hidden_layers", 1},
                        {"num_attention_heads", 2}, {"intermediate_size", 16}, {"max_position_embeddings", 16},
                        {"id2label", {{"0", "O"}, {"1", "B-x"}, {"2", "I-x"}}}};
  auto config = config_from_json(cfg, "test");
  config.crf_head = true;
  torch::manual_seed(1);
  TokenClassifier m(config);
  m->init_heads(3);
  ASSERT_TRUE(m->has_crf());
  save_checkpoint(tmp.path() / "crf", m, nullptr, CheckpointMeta{});
  std::ifstream in(tmp.path() / "crf" / "config.json");
  EXPECT_EQ(nlohmann::json::parse(in).value("triage_head", ""), "crf");
  LoadOptions wo;
  wo.require_tokenizer = false;
  auto back = load_checkpoint(tmp.path() / "crf", wo);
  ASSERT_TRUE(back.model->has_crf());
  EXPECT_EQ(back.meta.head, "crf");
  EXPECT_TRUE(back.report.initialised.empty());
  EXPECT_TRUE(torch::equal(back.model->crf->transitions, m->crf->transitions));
  EXPECT_TRUE(torch::equal(back.model->crf->start_transitions, m->crf->start_transitions));
  // with no decode mode recorded, a CRF checkpoint decodes with it
  EXPECT_EQ(inference_options(back.meta, back.config()).decode, data::DecodeMode::crf);
  // model.head softmax drops it (reported unused); new labels re-initialise it
  wo.crf_head = false;
  auto dropped = load_checkpoint(tmp.path() / "crf", wo);
  EXPECT_FALSE(dropped.model->has_crf());
  EXPECT_EQ(dropped.report.unused.size(), 3u);
  wo.crf_head = true;
  wo.labels = std::vector<std::string>{"O", "B-y", "I-y"};
  auto relabelled = load_checkpoint(tmp.path() / "crf", wo);
  EXPECT_EQ(relabelled.report.initialised.size(), 5u);  // classifier weight + bias, 3 CRF tensors
  // decode crf on a checkpoint without the head: an input error naming the setting
  InferenceOverrides o;
  o.decode = data::DecodeMode::crf;
  o.decode_key = "decode.mode";
  auto msg = error_of([&] { inference_options(dropped.meta, dropped.config(), o); });
  EXPECT_NE(msg.find("decode.mode: crf needs a checkpoint with a CRF head"), std::string::npos) << msg;
  CheckpointMeta meta;
  meta.decode_mode = "crf";
  meta.source = "ck/triage.json";
  msg = error_of([&] { inference_options(meta, dropped.config()); });
  EXPECT_NE(msg.find("ck/triage.json: key 'decode_mode': crf needs"), std::string::npos) << msg;
}

TEST(Crf, TrainConfigRefusesWhatTheHeadCannotTrain) {
  train::TrainConfig c;
  c.decode.mode = data::DecodeMode::crf;
  auto msg = error_of([&] { c.validate(false); });
  EXPECT_NE(msg.find("decode.mode: crf needs a CRF head (model.head: crf)"), std::string::npos) << msg;
  c.model.crf = true;
  c.validate(false);
  c.loss.label_smoothing = 0.1;
  msg = error_of([&] { c.validate(false); });
  EXPECT_NE(msg.find("model.head: crf does not combine with loss.label_smoothing"), std::string::npos) << msg;
  c.loss.label_smoothing = 0;
  c.model.label_all_subwords = true;
  msg = error_of([&] { c.validate(false); });
  EXPECT_NE(msg.find("model.label_all_subwords"), std::string::npos) << msg;
  c.model.label_all_subwords = false;
  c.decode.mode.reset();
  EXPECT_EQ(c.decode.resolved(true), data::DecodeMode::crf);
  EXPECT_EQ(c.decode.resolved(false), data::DecodeMode::greedy);
}
