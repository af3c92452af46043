// Batches without padding (model/unpadded.h, issues 20 and 21): the unpadded forward equals
// the padded forward at every real token, for every family, on batches mixing lengths 1 to
// 512; so do the gradients of the training loss; the layout helpers round-trip and bad masks
// are named.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "core/error.h"
#include "model/config.h"
#include "model/encoder.h"
#include "model/unpadded.h"

using namespace triage;
using namespace triage::model;
using nlohmann::json;

namespace {

json family_config(const std::string& type) {
  json j = {{"model_type", type},          {"vocab_size", 301},
            {"hidden_size", 32},           {"num_hidden_layers", 2},
            {"num_attention_heads", 4},    {"intermediate_size", 48},
            {"max_position_embeddings", 520}, {"type_vocab_size", 2},
            {"pad_token_id", type == "bert" || type == "electra" ? 0 : 1}, {"hidden_dropout_prob", 0.0},
            {"attention_probs_dropout_prob", 0.0},
            {"id2label", {{"0", "O"}, {"1", "B-order_id"}, {"2", "I-order_id"}, {"3", "B-product"}}}};
  if (type == "electra") j["embedding_size"] = 16;
  if (type == "distilbert") {
    j = {{"model_type", "distilbert"}, {"vocab_size", 301}, {"dim", 32}, {"n_layers", 2}, {"n_heads", 4},
         {"hidden_dim", 48}, {"max_position_embeddings", 520}, {"dropout", 0.0}, {"attention_dropout", 0.0},
         {"pad_token_id", 0}, {"id2label", j["id2label"]}};
  }
  if (type == "deberta-v2") {
    j.update({{"relative_attention", true}, {"pos_att_type", {"p2c", "c2p"}}, {"share_att_key", true},
              {"position_biased_input", false}, {"position_buckets", 32}, {"norm_rel_ebd", "layer_norm"},
              {"type_vocab_size", 0}, {"pad_token_id", 0}});
  } else if (type == "modernbert") {
    j.update({{"local_attention", 64}, {"global_attn_every_n_layers", 2}, {"pad_token_id", 0}});
    j.erase("type_vocab_size");
  }
  return j;
}

TokenClassifier random_model(const std::string& type) {
  auto c = config_from_json(family_config(type), "test");
  c.intent_labels = {"billing", "refund", "shipping"};
  torch::manual_seed(11);
  TokenClassifier m(c);
  m->init_heads(5);
  return m;
}

// rows of the given lengths, padded at the end with the pad id
std::pair<torch::Tensor, torch::Tensor> padded_batch(const std::vector<int64_t>& lengths, int64_t pad, int64_t vocab) {
  const int64_t seq = *std::max_element(lengths.begin(), lengths.end());
  auto ids = torch::full({static_cast<int64_t>(lengths.size()), seq}, pad, torch::kLong);
  auto mask = torch::zeros_like(ids);
  torch::manual_seed(3);
  for (size_t r = 0; r < lengths.size(); ++r) {
    const int64_t n = lengths[r];
    ids[static_cast<int64_t>(r)].slice(0, 0, n).copy_(torch::randint(2, vocab, {n}, torch::kLong));
    mask[static_cast<int64_t>(r)].slice(0, 0, n).fill_(1);
  }
  return {ids, mask};
}

const std::vector<int64_t> kLengths = {1, 512, 2, 37, 300, 130, 9, 64};

class Unpadded : public ::testing::TestWithParam<std::string> {};

TEST_P(Unpadded, ForwardEqualsPaddedAtRealTokens) {
  auto m = random_model(GetParam());
  m->eval();
  const auto [ids, mask] = padded_batch(kLengths, m->config().pad_token_id, 301);
  const auto u = unpad_batch(ids, mask);
  ASSERT_EQ(u.tokens, mask.sum().item<int64_t>());
  torch::NoGradGuard g;
  const auto padded = m->forward(ids, mask);
  const auto packed = m->forward_unpadded(u);
  ASSERT_EQ(packed.token_logits.sizes(), (std::vector<int64_t>{u.tokens, 4}));
  const auto want = unpad_tokens(padded.token_logits, u);
  const double d = (packed.token_logits - want).abs().max().item<double>();
  const double di = (packed.intent_logits - padded.intent_logits).abs().max().item<double>();
  EXPECT_LE(d, 1e-5) << GetParam() << " token logits";
  EXPECT_LE(di, 1e-5) << GetParam() << " intent logits";
  // the comparison can fail: shifting one row's tokens by a position is seen
  auto shifted = u;
  shifted.position_ids = u.position_ids + 1;
  if (GetParam() == "bert") {
    const auto off = m->forward_unpadded(shifted);
    EXPECT_GT((off.token_logits - want).abs().max().item<double>(), 1e-3);
  }
}

TEST_P(Unpadded, TrainingGradientsEqualPadded) {
  auto m = random_model(GetParam());
  m->train();  // dropout 0 in the config: the two paths are deterministic
  const auto [ids, mask] = padded_batch({3, 40, 1, 17}, m->config().pad_token_id, 301);
  auto labels = torch::randint(0, 4, ids.sizes(), torch::kLong).masked_fill(mask.eq(0), -100);
  const auto u = unpad_batch(ids, mask);
  auto grads = [&](bool unpadded) {
    m->zero_grad();
    EncoderOutput out = unpadded ? m->forward_unpadded(u) : m->forward(ids, mask);
    const auto lab = unpadded ? unpad_tokens(labels.unsqueeze(-1), u).squeeze(-1) : labels;
    auto loss = token_cross_entropy(kernels::KernelMode::Torch, out.token_logits, lab) +
                out.intent_logits.logsumexp(-1).mean();
    loss.backward();
    std::vector<torch::Tensor> g;
    for (const auto& p : m->parameters())
      g.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
    return g;
  };
  const auto a = grads(false), b = grads(true);
  ASSERT_EQ(a.size(), b.size());
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, (a[i] - b[i]).abs().max().item<double>());
  EXPECT_LE(worst, 1e-5) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Families, Unpadded,
                         ::testing::Values("bert", "roberta", "distilbert", "electra", "deberta-v2", "modernbert"));

TEST(UnpaddedLayout, RoundTripsAndNamesBadMasks) {
  const auto [ids, mask] = padded_batch({2, 5, 1}, 0, 50);
  const auto u = unpad_batch(ids, mask, ids.remainder(2));
  EXPECT_EQ(u.rows, 3);
  EXPECT_EQ(u.max_len, 5);
  EXPECT_EQ(u.tokens, 8);
  EXPECT_TRUE(torch::equal(u.cu_seqlens, torch::tensor({0, 2, 7, 8}, torch::kLong)));
  EXPECT_TRUE(torch::equal(u.first_token, torch::tensor({0, 2, 7}, torch::kLong)));
  EXPECT_TRUE(torch::equal(u.position_ids, torch::tensor({0, 1, 0, 1, 2, 3, 4, 0}, torch::kLong)));
  EXPECT_TRUE(torch::equal(u.token_type_ids, u.input_ids.remainder(2)));
  EXPECT_TRUE(torch::equal(pad_tokens(u.input_ids, u), ids * mask));
  EXPECT_TRUE(torch::equal(unpad_tokens(pad_tokens(u.input_ids, u), u), u.input_ids));
  // no mask: every row is whole
  EXPECT_EQ(unpad_batch(ids, {}).tokens, 15);
  auto holes = mask.clone();
  holes[1][1] = 0;
  try {
    unpad_batch(ids, holes);
    FAIL() << "a token after padding was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("row 1 has a token after its padding (position 2)"), std::string::npos)
        << e.what();
  }
}

}  // namespace
