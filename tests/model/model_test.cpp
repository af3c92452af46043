// Model unit tests: config validation, checkpoint bad input (each a clear InputError naming
// file and tensor/key), save/load round trip, fresh heads, batch invariance.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "core/error.h"
#include "model/checkpoint.h"
#include "model/deberta.h"
#include "model/inference_options.h"
#include "model/packed_cpu.h"
#include "model/safetensors.h"
#include "tests/common/test_util.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace triage;
using namespace triage::model;
using triage::testing::error_of;
using triage::testing::TempDir;

namespace {

json tiny_config(const std::string& type = "bert") {
  json j = {{"model_type", type},          {"vocab_size", 97},
            {"hidden_size", 20},           {"num_hidden_layers", 2},
            {"num_attention_heads", 4},    {"intermediate_size", 37},
            {"max_position_embeddings", 24}, {"type_vocab_size", type == "bert" ? 2 : 1},
            {"pad_token_id", type == "bert" ? 0 : 1}, {"hidden_dropout_prob", 0.0},
            {"attention_probs_dropout_prob", 0.0},
            {"id2label", {{"0", "O"}, {"1", "B-order_id"}, {"2", "I-order_id"}}}};
  if (type == "deberta-v2") {  // v3-style: relative attention only, log buckets shorter than the inputs
    j.update({{"relative_attention", true}, {"pos_att_type", {"p2c", "c2p"}}, {"share_att_key", true},
              {"position_biased_input", false}, {"position_buckets", 4}, {"norm_rel_ebd", "layer_norm"},
              {"type_vocab_size", 0}, {"pad_token_id", 0}});
  } else if (type == "modernbert") {  // a local window narrower than the inputs
    j.update({{"local_attention", 4}, {"global_attn_every_n_layers", 2}, {"pad_token_id", 0},
              {"num_attention_heads", 2}});  // rotary needs an even head size
    j.erase("type_vocab_size");
  }
  return j;
}


void write_json(const fs::path& p, const json& j) { std::ofstream(p) << j.dump(2); }

// Largest |difference| over the token and intent logits of two outputs.
double max_logit_diff(const EncoderOutput& a, const EncoderOutput& b) {
  return std::max((a.token_logits - b.token_logits).abs().max().item<double>(),
                  (a.intent_logits - b.intent_logits).abs().max().item<double>());
}

LoadOptions weights_only() {
  LoadOptions o;
  o.require_tokenizer = false;
  return o;
}

// A random checkpoint written through save_checkpoint (no tokenizer).
fs::path make_checkpoint(const fs::path& dir, const json& cfg, bool intent = false) {
  auto c = config_from_json(cfg, "test");
  if (intent) c.intent_labels = {"billing", "refund"};
  torch::manual_seed(7);
  TokenClassifier m(c);
  save_checkpoint(dir, m, nullptr, CheckpointMeta{});
  return dir;
}


// Rewrites model.safetensors of dir with edit(name, tensor) -> keep?
void rewrite_weights(const fs::path& dir,
                     const std::function<bool(std::string&, std::vector<int64_t>&, st::Dtype&, std::vector<std::byte>&)>& edit) {
  std::vector<std::tuple<std::string, std::vector<int64_t>, st::Dtype, std::vector<std::byte>>> all;
  {
    auto r = st::Reader::open(dir / "model.safetensors");
    for (const auto& t : r.tensors()) {
      std::string name = t.name;
      auto shape = t.shape;
      auto dtype = t.dtype;
      std::vector<std::byte> bytes(t.data, t.data + t.nbytes);
      if (edit(name, shape, dtype, bytes)) all.emplace_back(name, shape, dtype, std::move(bytes));
    }
  }
  std::vector<st::TensorToWrite> w;
  for (auto& [n, s, d, b] : all) w.push_back({n, d, s, b.data(), b.size()});
  st::write(dir / "model.safetensors", w);
}

}  // namespace

TEST(ModelConfig, RejectsUnknownModelType) {
  auto j = tiny_config();
  j["model_type"] = "gpt2";
  auto msg = error_of([&] { config_from_json(j, "dir/config.json"); });
  EXPECT_NE(msg.find("dir/config.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("model_type"), std::string::npos) << msg;
  EXPECT_NE(msg.find("gpt2"), std::string::npos) << msg;
}

TEST(ModelConfig, RejectsBadValues) {
  auto j = tiny_config();
  j["num_attention_heads"] = 3;  // 20 % 3 != 0
  EXPECT_NE(error_of([&] { config_from_json(j, "c.json"); }).find("num_attention_heads"), std::string::npos);
  j = tiny_config();
  j.erase("hidden_size");
  EXPECT_NE(error_of([&] { config_from_json(j, "c.json"); }).find("'hidden_size': missing"), std::string::npos);
  j = tiny_config();
  j["hidden_act"] = "swish";
  EXPECT_NE(error_of([&] { config_from_json(j, "c.json"); }).find("hidden_act"), std::string::npos);
  j = tiny_config();
  j["id2label"] = {{"0", "O"}, {"2", "B-x"}};
  EXPECT_NE(error_of([&] { config_from_json(j, "c.json"); }).find("id 1 is missing"), std::string::npos);
  j = tiny_config();
  j["vocab_size"] = "many";
  EXPECT_NE(error_of([&] { config_from_json(j, "c.json"); }).find("expected an integer"), std::string::npos);
}

// triage.json: typed, errors name the file and key; the one inference setup reads it.
TEST(CheckpointMeta, ReadsTypedAndNamesBadKeys) {
  auto m = CheckpointMeta::from_json(json{{"max_seq_len", 64}, {"stride", 8}, {"checkpoint", "best"},
                                          {"best", {{"metric", "entity_f1"}, {"value", 0.5}, {"step", 3}}},
                                          {"someday", 1}},
                                     "ck/triage.json");
  EXPECT_EQ(m.max_seq_len, 64);
  EXPECT_EQ(m.stride, 8);
  ASSERT_TRUE(m.best.has_value());
  EXPECT_EQ(m.best->step, 3);
  EXPECT_EQ(m.to_json().at("someday"), 1);  // unknown keys round-trip
  EXPECT_EQ(CheckpointMeta::from_json(m.to_json(), "x").to_json(), m.to_json());
  auto msg = error_of([] { CheckpointMeta::from_json(json{{"stride", "wide"}}, "ck/triage.json"); });
  EXPECT_NE(msg.find("ck/triage.json: key 'stride': expected an integer, found \"wide\""), std::string::npos) << msg;
  msg = error_of([] { CheckpointMeta::from_json(json{{"best", {{"step", "x"}}}}, "ck/triage.json"); });
  EXPECT_NE(msg.find("ck/triage.json (best): key 'step'"), std::string::npos) << msg;
}

TEST(InferenceOptions, CheckpointThenOverridesClampedAndValidated) {
  const auto config = config_from_json(tiny_config(), "test");  // 24 positions
  CheckpointMeta meta;
  auto po = inference_options(meta, config);  // no window setting: 128 clamped to 24, stride lowered
  EXPECT_EQ(po.windows.max_seq_len, 24);
  EXPECT_EQ(po.windows.stride, 5);
  meta.max_seq_len = 16;
  meta.stride = 4;
  meta.source = "ck/triage.json";
  po = inference_options(meta, config);
  EXPECT_EQ(po.windows.max_seq_len, 16);
  EXPECT_EQ(po.windows.stride, 4);
  InferenceOverrides o;
  o.stride = 2;
  o.max_tokens = 4;  // raised to one full window
  po = inference_options(meta, config, o);
  EXPECT_EQ(po.windows.max_seq_len, 16);
  EXPECT_EQ(po.windows.stride, 2);
  EXPECT_EQ(po.max_tokens, 16);
  meta.stride = 14;
  auto msg = error_of([&] { inference_options(meta, config); });
  EXPECT_NE(msg.find("ck/triage.json: stride 14: expected 0 <= stride < max_seq_len - 2 = 14"), std::string::npos) << msg;
  o.stride = -1;
  o.stride_key = "--stride";
  msg = error_of([&] { inference_options(meta, config, o); });
  EXPECT_NE(msg.find("--stride -1: expected"), std::string::npos) << msg;
}

TEST(Checkpoint, RoundTripKeepsWeightsAndLabels) {
  TempDir tmp;
  auto dir = make_checkpoint(tmp.path() / "ck", tiny_config(), /*intent=*/true);
  auto a = load_checkpoint(dir, weights_only());
  auto b_dir = tmp.path() / "ck2";
  CheckpointMeta note;
  note.extra["note"] = "x";  // a key triage does not know survives the round trip
  note.stride = 5;
  save_checkpoint(b_dir, a.model, nullptr, note);
  auto b = load_checkpoint(b_dir, weights_only());
  EXPECT_EQ(b.config().labels, (std::vector<std::string>{"O", "B-order_id", "I-order_id"}));
  EXPECT_EQ(b.config().intent_labels, (std::vector<std::string>{"billing", "refund"}));
  EXPECT_TRUE(b.report.initialised.empty());
  EXPECT_EQ(b.meta.extra.value("note", ""), "x");
  EXPECT_EQ(b.meta.stride, 5);
  EXPECT_FALSE(b.meta.max_seq_len.has_value());
  EXPECT_EQ(b.meta.labels, b.config().labels);
  auto pa = a.model->named_parameters(), pb = b.model->named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& item : pa) EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << item.key();
  // config.json carries Hugging Face's keys
  std::ifstream in(b_dir / "config.json");
  auto cfg = json::parse(in);
  EXPECT_EQ(cfg["architectures"][0], "BertForTokenClassification");
  EXPECT_EQ(cfg["id2label"]["1"], "B-order_id");
  EXPECT_EQ(cfg["label2id"]["I-order_id"], 2);
  // nothing half-written is left beside it
  for (const auto& e : fs::directory_iterator(tmp.path()))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
}

TEST(Checkpoint, BaseModelGetsFreshHeadsAndBF16Loads) {
  TempDir tmp;
  auto dir = make_checkpoint(tmp.path() / "ck", tiny_config());
  // Strip the heads, store bf16 and add a pooler: a base checkpoint as published.
  rewrite_weights(dir, [](std::string& name, std::vector<int64_t>&, st::Dtype& dtype, std::vector<std::byte>& b) {
    if (name.rfind("classifier.", 0) == 0) return false;
    // fp32 -> bf16 by truncation
    std::vector<std::byte> out(b.size() / 2);
    for (size_t i = 0; i < b.size() / 4; ++i) {
      out[2 * i] = b[4 * i + 2];
      out[2 * i + 1] = b[4 * i + 3];
    }
    b = std::move(out);
    dtype = st::Dtype::BF16;
    name = name.substr(5);  // drop "bert."
    return true;
  });
  LoadOptions o = weights_only();
  o.labels = std::vector<std::string>{"O", "B-x", "I-x", "B-y"};
  o.intent_labels = std::vector<std::string>{"a", "b", "c"};
  auto ck = load_checkpoint(dir, o);
  EXPECT_EQ(ck.report.weights_dtype, "BF16");
  EXPECT_EQ(ck.report.initialised.size(), 4u);  // classifier + intent_classifier weight/bias
  EXPECT_EQ(ck.model->classifier->weight.size(0), 4);
  EXPECT_EQ(ck.model->intent_classifier->weight.size(0), 3);
  EXPECT_NEAR(ck.model->classifier->weight.std().item<float>(), 0.02, 0.01);
  torch::NoGradGuard g;
  auto out = ck.model->forward(torch::tensor({{2, 5, 9, 3}}, torch::kLong), torch::ones({1, 4}, torch::kLong));
  EXPECT_EQ(out.token_logits.sizes(), (std::vector<int64_t>{1, 4, 4}));
  EXPECT_EQ(out.intent_logits.sizes(), (std::vector<int64_t>{1, 3}));
}

TEST(Checkpoint, MissingTensorNamesFileAndTensor) {
  TempDir tmp;
  auto dir = make_checkpoint(tmp.path() / "ck", tiny_config());
  rewrite_weights(dir, [](std::string& n, auto&, auto&, auto&) {
    return n != "bert.encoder.layer.1.attention.self.key.weight";
  });
  auto msg = error_of([&] { load_checkpoint(dir, weights_only()); });
  EXPECT_NE(msg.find("model.safetensors"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bert.encoder.layer.1.attention.self.key.weight"), std::string::npos) << msg;
}

TEST(Checkpoint, ShapeContradictingConfigIsAnError) {
  TempDir tmp;
  auto dir = make_checkpoint(tmp.path() / "ck", tiny_config());
  auto cfg = tiny_config();
  cfg["intermediate_size"] = 40;  // weights were made with 37
  write_json(dir / "config.json", cfg);
  auto msg = error_of([&] { load_checkpoint(dir, weights_only()); });
  EXPECT_NE(msg.find("intermediate.dense"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[37, 20] found"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[40, 20] expected"), std::string::npos) << msg;
}

TEST(Checkpoint, IntegerWeightsAreRejected) {
  TempDir tmp;
  auto dir = make_checkpoint(tmp.path() / "ck", tiny_config());
  rewrite_weights(dir, [](std::string& n, auto&, st::Dtype& d, auto&) {
    if (n == "bert.embeddings.LayerNorm.bias") d = st::Dtype::I32;
    return true;
  });
  auto msg = error_of([&] { load_checkpoint(dir, weights_only()); });
  EXPECT_NE(msg.find("bert.embeddings.LayerNorm.bias"), std::string::npos) << msg;
  EXPECT_NE(msg.find("I32"), std::string::npos) << msg;
}

TEST(Checkpoint, HeadWithWrongLabelCount) {
  TempDir tmp;
  auto dir = make_checkpoint(tmp.path() / "ck", tiny_config());
  auto cfg = tiny_config();
  cfg["id2label"] = {{"0", "O"}, {"1", "B-x"}};  // file has 3 classes
  write_json(dir / "config.json", cfg);
  auto msg = error_of([&] { load_checkpoint(dir, weights_only()); });
  EXPECT_NE(msg.find("classifier.weight"), std::string::npos) << msg;
}

TEST(Checkpoint, MissingFilesAndVocabulary) {
  TempDir tmp;
  EXPECT_NE(error_of([&] { load_checkpoint(tmp.path() / "nope"); }).find("not a directory"), std::string::npos);
  auto dir = make_checkpoint(tmp.path() / "ck", tiny_config());
  // no tokenizer files were saved: loading for tagging must say so, naming the directory
  auto msg = error_of([&] { load_checkpoint(dir); });
  EXPECT_NE(msg.find(dir.filename().string()), std::string::npos) << msg;
  fs::remove(dir / "model.safetensors");
  msg = error_of([&] { load_checkpoint(dir, weights_only()); });
  EXPECT_NE(msg.find("model.safetensors: missing"), std::string::npos) << msg;
  fs::remove(dir / "config.json");
  msg = error_of([&] { load_checkpoint(dir, weights_only()); });
  EXPECT_NE(msg.find("config.json"), std::string::npos) << msg;
}

TEST(Checkpoint, GarbledWeightsFileIsAnInputError) {
  TempDir tmp;
  auto dir = make_checkpoint(tmp.path() / "ck", tiny_config());
  fs::resize_file(dir / "model.safetensors", 1000);
  auto msg = error_of([&] { load_checkpoint(dir, weights_only()); });
  EXPECT_NE(msg.find("model.safetensors"), std::string::npos) << msg;
}

class BatchInvariance : public ::testing::TestWithParam<std::string> {};

TEST_P(BatchInvariance, ItemAloneEqualsItemInPaddedBatch) {
  TempDir tmp;
  auto dir = make_checkpoint(tmp.path() / "ck", tiny_config(GetParam()), true);
  auto ck = load_checkpoint(dir, weights_only());
  const int64_t pad = ck.config().pad_token_id;
  std::vector<std::vector<int64_t>> rows = {{5, 6, 7, 8, 9, 10, 11}, {12}, {13, 14, 15}, {16, 17, 18, 19, 20, 21, 22, 23, 24}};
  const int64_t seq = 9;
  auto ids = torch::full({4, seq}, pad, torch::kLong), mask = torch::zeros({4, seq}, torch::kLong);
  for (int64_t b = 0; b < 4; ++b)
    for (size_t i = 0; i < rows[b].size(); ++i) {
      ids[b][i] = rows[b][i];
      mask[b][i] = 1;
    }
  torch::NoGradGuard g;
  auto batched = ck.model->forward(ids, mask);
  for (int64_t b = 0; b < 4; ++b) {
    const int64_t n = static_cast<int64_t>(rows[b].size());
    auto one = ck.model->forward(ids[b].slice(0, 0, n).unsqueeze(0), torch::ones({1, n}, torch::kLong));
    auto d = (one.token_logits[0] - batched.token_logits[b].slice(0, 0, n)).abs().max().item<float>();
    EXPECT_LE(d, 1e-5) << "row " << b;
    auto di = (one.intent_logits[0] - batched.intent_logits[b]).abs().max().item<float>();
    EXPECT_LE(di, 1e-5) << "row " << b;
  }
}

INSTANTIATE_TEST_SUITE_P(Families, BatchInvariance,
                         ::testing::Values("bert", "roberta", "xlm-roberta", "deberta-v2", "modernbert"));

// The families' own keys: an option triage does not implement, or values that contradict each
// other, are errors naming the file and key; a checkpoint without a tensor its config needs
// names the tensor.
TEST(ModelConfig, FamilyKeysNamedInErrors) {
  const auto err = [](json j) { return error_of([&] { config_from_json(j, "dir/config.json"); }); };
  auto j = tiny_config("modernbert");
  j["local_attention"] = 64;  // max_position_embeddings 24
  auto msg = err(j);
  EXPECT_NE(msg.find("dir/config.json: key 'local_attention'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("max_position_embeddings 24"), std::string::npos) << msg;
  j = tiny_config("modernbert");
  j["hidden_activation"] = "swiglu";
  EXPECT_NE(err(j).find("'hidden_activation': unsupported activation 'swiglu'"), std::string::npos) << err(j);
  j = tiny_config("modernbert");
  j["rope_parameters"] = {{"full_attention", {{"rope_type", "yarn"}, {"rope_theta", 1e4}}}};
  EXPECT_NE(err(j).find("rope_parameters.full_attention.rope_type"), std::string::npos) << err(j);
  j = tiny_config("modernbert");
  j["layer_types"] = {"full_attention", "chunked_attention"};
  EXPECT_NE(err(j).find("'layer_types': unsupported entry \"chunked_attention\""), std::string::npos) << err(j);
  j = tiny_config("deberta-v2");
  j["pos_att_type"] = "p2c|p2p";
  EXPECT_NE(err(j).find("'pos_att_type': unsupported entry 'p2p'"), std::string::npos) << err(j);
  j = tiny_config("deberta-v2");
  j["norm_rel_ebd"] = "rms_norm";
  EXPECT_NE(err(j).find("'norm_rel_ebd'"), std::string::npos) << err(j);
  j = tiny_config("deberta-v2");
  j["conv_kernel_size"] = 3;
  j["conv_act"] = "mish";
  EXPECT_NE(err(j).find("'conv_act': unsupported activation 'mish'"), std::string::npos) << err(j);
  j = tiny_config("deberta-v2");
  j["num_attention_heads"] = 3;  // 20 % 3 != 0
  EXPECT_NE(err(j).find("'num_attention_heads'"), std::string::npos) << err(j);
  j = tiny_config("modernbert");
  j["num_attention_heads"] = 4;  // head size 5: rotary needs it even
  EXPECT_NE(err(j).find("'num_attention_heads': rotary embeddings need an even head size"), std::string::npos) << err(j);
}

TEST(Checkpoint, FamilyTensorsMissingAreNamed) {
  TempDir tmp;
  auto dir = make_checkpoint(tmp.path() / "deberta", tiny_config("deberta-v2"));
  rewrite_weights(dir, [](std::string& n, auto&, auto&, auto&) { return n != "deberta.encoder.rel_embeddings.weight"; });
  auto msg = error_of([&] { load_checkpoint(dir, weights_only()); });
  EXPECT_NE(msg.find("model.safetensors"), std::string::npos) << msg;
  EXPECT_NE(msg.find("deberta.encoder.rel_embeddings.weight"), std::string::npos) << msg;
  dir = make_checkpoint(tmp.path() / "modernbert", tiny_config("modernbert"));
  rewrite_weights(dir, [](std::string& n, auto&, auto&, auto&) { return n != "model.layers.1.attn.Wqkv.weight"; });
  msg = error_of([&] { load_checkpoint(dir, weights_only()); });
  EXPECT_NE(msg.find("model.layers.1.attn.Wqkv.weight"), std::string::npos) << msg;
}

// The families with their own blocks pack their linear layers (PackedLinears; DeBERTa also
// projects its relative table once): forward() in inference takes that path and matches the
// composite ops on a padded batch and a lone sequence longer than DeBERTa's buckets and
// ModernBERT's local window; a change to a packed parameter (or to DeBERTa's relative table,
// which the packing derives from) sends forward() back to the composite path; reduced
// precisions are refused with the reason.
struct PackedFamilyCase {
  std::string name, type;
  json extra;
};

class PackedFamilies : public ::testing::TestWithParam<PackedFamilyCase> {};

TEST_P(PackedFamilies, MatchCompositeAndNoticeChangedWeights) {
  const auto& P = GetParam();
  TempDir tmp;
  auto cfg = tiny_config(P.type);
  cfg.update(P.extra);
  auto dir = make_checkpoint(tmp.path() / "ck", cfg, true);
  auto ck = load_checkpoint(dir, weights_only());
  auto& m = ck.model;
  auto ids = torch::tensor({{5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {16, 17, 18, 0, 0, 0, 0, 0, 0, 0, 0}}, torch::kLong);
  auto mask = ids.ne(0).to(torch::kLong);
  auto lone = ids[0].unsqueeze(0);
  const double tol = 1e-5;
  const auto diff = max_logit_diff;
  auto packed_calls = [&]() -> int64_t {
    if (auto d = std::dynamic_pointer_cast<DebertaBackboneImpl>(m->encoder)) return d->packed ? d->packed->calls() : -1;
    if (auto b = std::dynamic_pointer_cast<ModernBertBackboneImpl>(m->encoder)) return b->packed ? b->packed->calls() : -1;
    return -1;
  };
  m->eval();
  torch::InferenceMode guard;
  auto ref_batch = m->forward(ids, mask), ref_lone = m->forward(lone, torch::Tensor());
  std::string why;
  ASSERT_TRUE(m->pack_for_cpu_inference(&why)) << why;
  EXPECT_EQ(m->cpu_compute_path(), "packed (oneDNN prepacked weights)");
  const auto calls = packed_calls();
  EXPECT_LE(diff(m->forward(ids, mask), ref_batch), tol);
  EXPECT_LE(diff(m->forward(lone, torch::Tensor()), ref_lone), tol);
  EXPECT_EQ(packed_calls(), calls + 2) << "forward() must take the packed path";
  {  // an optimizer-like in-place update of a parameter the packing depends on
    c10::InferenceMode off(false);
    torch::NoGradGuard no_grad;
    if (auto d = std::dynamic_pointer_cast<DebertaBackboneImpl>(m->encoder))
      d->rel_embeddings->weight.add_(torch::randn_like(d->rel_embeddings->weight));  // not a uniform scale: LayerNorm'd
    else
      std::dynamic_pointer_cast<ModernBertBackboneImpl>(m->encoder)->layers[1]->mlp->Wi->weight.mul_(1.5);
  }
  auto changed = m->forward(lone, torch::Tensor());
  EXPECT_EQ(packed_calls(), calls + 2) << "a stale packing must not be used";
  EXPECT_GT(diff(changed, ref_lone), 1e-4) << "the weight change must show";
  m->drop_cpu_packing();
  EXPECT_LE(diff(changed, m->forward(lone, torch::Tensor())), 1e-7);
  EXPECT_THROW(m->pack_for_cpu_precision("int8", "runtime.precision"), InputError);
  EXPECT_FALSE(m->pack_for_cpu_inference(&why, at::kBFloat16));
  EXPECT_NE(why.find("float32 only"), std::string::npos) << why;
  EXPECT_NE(m->cpu_compute_path().find("composite torch ops (this family's packed path computes in float32 only"),
            std::string::npos)
      << m->cpu_compute_path();
}

INSTANTIATE_TEST_SUITE_P(
    Families, PackedFamilies,
    ::testing::Values(PackedFamilyCase{"deberta_v3", "deberta-v2", json::object()},
                      PackedFamilyCase{"deberta_v2_own_projections_clamped",
                                       "deberta-v2",
                                       {{"share_att_key", false}, {"position_buckets", -1},
                                        {"max_relative_positions", 6}, {"position_biased_input", true},
                                        {"conv_kernel_size", 3}, {"embedding_size", 12}}},
                      PackedFamilyCase{"deberta_c2p_only", "deberta-v2", {{"pos_att_type", "c2p"}}},
                      PackedFamilyCase{"modernbert", "modernbert", json::object()},
                      PackedFamilyCase{"modernbert_biases",
                                       "modernbert",
                                       {{"attention_bias", true}, {"mlp_bias", true}, {"norm_bias", true}}}),
    [](const auto& info) { return info.param.name; });

TEST(Encoder, RobertaPositionIdsSkipPadding) {
  auto ids = torch::tensor({{0, 5, 6, 2, 1, 1}}, torch::kLong);
  auto pos = roberta_position_ids(ids, 1);
  auto expect = torch::tensor({{2, 3, 4, 5, 1, 1}}, torch::kLong);
  EXPECT_TRUE(torch::equal(pos, expect)) << pos;
}

// The prepacked CPU path (model/packed_cpu.h) against the composite ops on the same weights,
// for each activation's oneDNN post-op, padded and unpadded; a parameter changed in place
// makes forward() leave the stale packing for the composite path until it is packed again.
class PackedCpu : public ::testing::TestWithParam<std::string> {};

TEST_P(PackedCpu, MatchesCompositeAndNoticesChangedWeights) {
  TempDir tmp;
  auto cfg = tiny_config();
  cfg["hidden_act"] = GetParam();
  auto dir = make_checkpoint(tmp.path() / "ck", cfg, true);
  auto ck = load_checkpoint(dir, weights_only());
  auto& m = ck.model;
  auto ids = torch::tensor({{5, 6, 7, 8, 9, 10, 11}, {12, 13, 14, 0, 0, 0, 0}}, torch::kLong);
  auto mask = ids.ne(0).to(torch::kLong);
  auto lone = ids[0].unsqueeze(0);
  const double tol = 1e-5;
  const auto diff = max_logit_diff;
  torch::InferenceMode guard;
  auto ref_batch = m->forward(ids, mask), ref_lone = m->forward(lone, torch::Tensor());
  std::string why;
  ASSERT_TRUE(m->pack_for_cpu_inference(&why)) << why;
  auto x = m->backbone->embeddings(lone, torch::arange(7).unsqueeze(0), torch::zeros_like(lone));
  auto direct = m->backbone->packed->forward(x, torch::Tensor());  // the packed layers themselves
  EXPECT_LE((direct - ref_lone.hidden).abs().max().item<double>(), tol);
  const auto calls = m->backbone->packed->calls();
  EXPECT_LE(diff(m->forward(ids, mask), ref_batch), tol);
  EXPECT_LE(diff(m->forward(lone, torch::Tensor()), ref_lone), tol);
  EXPECT_EQ(m->backbone->packed->calls(), calls + 2) << "forward() must take the packed path";

  {  // an optimizer-like in-place update of one packed weight
    c10::InferenceMode off(false);
    torch::NoGradGuard no_grad;
    m->backbone->layers[1]->intermediate->dense->weight.mul_(1.5);
  }
  EXPECT_FALSE(m->backbone->packed->current());
  auto changed = m->forward(lone, torch::Tensor());
  EXPECT_EQ(m->backbone->packed->calls(), calls + 2) << "a stale packing must not be used";
  EXPECT_GT(diff(changed, ref_lone), 1e-3) << "the weight change must show";
  m->drop_cpu_packing();
  auto composite = m->forward(lone, torch::Tensor());
  EXPECT_LE(diff(changed, composite), 1e-7) << "a stale packing must not be used";
  ASSERT_TRUE(m->pack_for_cpu_inference(&why)) << why;
  EXPECT_TRUE(m->backbone->packed->current());
  EXPECT_LE(diff(m->forward(lone, torch::Tensor()), composite), tol);
}

INSTANTIATE_TEST_SUITE_P(Activations, PackedCpu, ::testing::Values("gelu", "relu", "gelu_new"));

TEST(CpuPrecision, Names) {
  EXPECT_EQ(cpu_precision("fp32"), torch::kFloat);
  EXPECT_EQ(cpu_precision("bf16"), torch::kBFloat16);
  EXPECT_EQ(cpu_precision("int8"), torch::kQInt8);
  EXPECT_THROW(cpu_precision("fp16"), triage::InputError);
}

// Reduced-precision packing: close to fp32, not equal to it (the path did run in that
// precision), fp32 hidden states out for the heads; refused with the reason where the CPU
// (bf16: no native bf16 products) or libtorch (int8: no fbgemm) can't.
struct ReducedPrecision {
  const char* name;
  c10::ScalarType dtype;
  double hidden_tol, logits_tol;  // absolute; why each: in the instantiation below
};

class PackedCpuReduced : public ::testing::TestWithParam<ReducedPrecision> {};

TEST_P(PackedCpuReduced, CloseToFp32OrRefused) {
  const auto& P = GetParam();
  TempDir tmp;
  auto dir = make_checkpoint(tmp.path() / "ck", tiny_config(), true);
  auto ck = load_checkpoint(dir, weights_only());
  auto& m = ck.model;
  std::string why;
  const bool can = P.dtype == torch::kBFloat16 ? cpu_has_native_bf16() : int8_unavailable_reason().empty();
  if (!can) {
    EXPECT_FALSE(m->pack_for_cpu_inference(&why, P.dtype));
    EXPECT_NE(why.find(P.name), std::string::npos) << why;
    return;
  }
  auto ids = torch::tensor({{5, 6, 7, 8, 9, 10, 11}, {12, 13, 14, 0, 0, 0, 0}}, torch::kLong);
  auto mask = ids.ne(0).to(torch::kLong);
  torch::InferenceMode guard;
  auto ref = m->forward(ids, mask);
  ASSERT_TRUE(m->pack_for_cpu_inference(&why, P.dtype)) << why;
  EXPECT_EQ(m->backbone->packed->dtype(), P.dtype);
  const auto calls = m->backbone->packed->calls();
  auto got = m->forward(ids, mask);
  EXPECT_EQ(m->backbone->packed->calls(), calls + 1) << "forward() must take the packed path";
  EXPECT_EQ(got.hidden.scalar_type(), torch::kFloat) << "the heads get fp32 hidden states";
  auto valid = mask.to(torch::kBool);
  const double hdiff = (got.hidden - ref.hidden).index({valid}).abs().max().item<double>();
  EXPECT_LE(hdiff, P.hidden_tol);
  EXPECT_GT(hdiff, 1e-4);
  EXPECT_LE((got.token_logits - ref.token_logits).index({valid}).abs().max().item<double>(), P.logits_tol);
  EXPECT_LE((got.intent_logits - ref.intent_logits).abs().max().item<double>(), P.logits_tol);
}

// Hidden states are LayerNorm outputs of order 1. bf16's 8-bit mantissa through two layers
// keeps them within 0.1; 8-bit int8 products within 0.05 (measured 0.0099 on this model).
INSTANTIATE_TEST_SUITE_P(Precisions, PackedCpuReduced,
                         ::testing::Values(ReducedPrecision{"bf16", torch::kBFloat16, 0.1, 0.05},
                                           ReducedPrecision{"int8", torch::kQInt8, 0.05, 0.1}),
                         [](const auto& info) { return std::string(info.param.name); });

// Int8Linear: per-row weight scales keep rows of very different magnitudes accurate. With one
// scale per matrix (fbgemm's own quantization), the rows 1000x smaller than the largest would
// round to a handful of levels and be off by tens of percent.
TEST(Int8Linear, RowsOfEveryMagnitudeStayAccurate) {
  if (!int8_unavailable_reason().empty()) {  // a CPU or libtorch without fbgemm: refused, with the reason
    EXPECT_THROW(Int8Linear(torch::ones({2, 2}), torch::zeros({2})), triage::Error);
    return;
  }
  torch::manual_seed(3);
  const int64_t out = 48, in = 96;
  auto row_mag = torch::logspace(-3, 0, out).unsqueeze(1);  // 1e-3 .. 1
  auto w = torch::randn({out, in}) * row_mag;
  auto b = torch::randn({out}) * row_mag.squeeze(1);
  auto x = torch::randn({7, in});
  torch::InferenceMode guard;
  auto got = Int8Linear(w, b)(x);
  auto ref = torch::addmm(b, x, w.t());
  ASSERT_EQ(got.sizes(), ref.sizes());
  // per output column: RMS error relative to the column's RMS product. Measured: at most
  // 0.029 over the 48 columns; with one scale for the whole matrix, 1.2.
  auto rel = (got - ref).pow(2).mean(0).sqrt() / (ref - b).pow(2).mean(0).sqrt();
  EXPECT_LE(rel.max().item<double>(), 0.06) << rel;
  EXPECT_GT((got - ref).abs().max().item<double>(), 0.0) << "bit-equal to fp32: the product was not int8";
}

