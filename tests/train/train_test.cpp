// Trainer building blocks: config layering and errors, schedule, parameter groups, loss,
// and exact resume of the loop itself (in process; the SIGKILL test drives the binary).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <torch/torch.h>
#include <unistd.h>

#include "core/config_schema.h"
#include "core/error.h"
#include "model/checkpoint.h"
#include "model/packed_cpu.h"
#include "tests/common/test_util.h"
#include "train/loss.h"
#include "train/optimizer.h"
#include "train/train_config.h"
#include "train/trainer.h"

namespace fs = std::filesystem;
using namespace triage;
using namespace triage::train;
using triage::testing::error_of;

namespace {

fs::path temp_dir(const std::string& name) {
  auto p = fs::temp_directory_path() / ("triage-train-test-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}
}  // namespace

TEST(ConfigSchema, LayersFilesThenSetAndDumpsBack) {
  TrainConfig c;
  config::Schema s;
  c.register_fields(s);
  s.load_yaml_string("optim:\n  lr: 1.0e-4\nrun:\n  epochs: 5\n  batch_size: 8\n", "a.yaml");
  s.load_yaml_string("run:\n  epochs: 2\n", "b.yaml");
  s.set("optim.schedule=cosine");
  s.set("loss.class_weight_values=[\"O=0.5\", \"B-x=2\"]");
  EXPECT_DOUBLE_EQ(c.optim.lr, 1e-4);
  EXPECT_EQ(c.run.epochs, 2);
  EXPECT_EQ(c.run.batch_size, 8);
  EXPECT_EQ(c.optim.schedule, Schedule::cosine);
  EXPECT_EQ(c.loss.class_weight_values, (std::vector<std::string>{"O=0.5", "B-x=2"}));
  // the dump reloads to the same values
  TrainConfig d;
  config::Schema s2;
  d.register_fields(s2);
  s2.load_yaml_string(s.dump_yaml(), "dump");
  EXPECT_EQ(s.dump_yaml(), s2.dump_yaml());
}

TEST(ConfigSchema, UnknownKeyNamesNearestAndLine) {
  TrainConfig c;
  config::Schema s;
  c.register_fields(s);
  auto msg = error_of([&] { s.load_yaml_string("run:\n  epochs: 2\n  batch_sise: 4\n", "cfg.yaml"); });
  EXPECT_NE(msg.find("cfg.yaml:3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("run.batch_sise"), std::string::npos) << msg;
  EXPECT_NE(msg.find("run.batch_size"), std::string::npos) << msg;
  msg = error_of([&] { s.set("optim.learning_rate=3"); });
  EXPECT_NE(msg.find("unknown key 'optim.learning_rate'"), std::string::npos) << msg;
  msg = error_of([&] { s.load_yaml_string("run:\n  epochs: many\n", "cfg.yaml"); });
  EXPECT_NE(msg.find("cfg.yaml:2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected an integer, found 'many'"), std::string::npos) << msg;
  msg = error_of([&] { s.set("optim.schedule=step"); });
  EXPECT_NE(msg.find("expected one of linear, cosine, constant"), std::string::npos) << msg;
  msg = error_of([&] { s.load_yaml_string("run: [1, 2\n", "bad.yaml"); });
  EXPECT_NE(msg.find("bad.yaml:"), std::string::npos) << msg;
}

// The one loader: files, then TRIAGE_TRAIN_* environment, then --set; then the ranges
// declared on the registration lines, naming the key; cross-key checks in validate().
TEST(ConfigSchema, LoaderLayersEnvironmentAndChecksRanges) {
  const auto path = fs::temp_directory_path() / ("triage-train-cfg-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << "run:\n  batch_size: 8\n  epochs: 4\n";
  ::setenv("TRIAGE_TRAIN_RUN_BATCH_SIZE", "16", 1);
  ::setenv("TRIAGE_TRAIN_RUN_DEVICE", "cpu", 1);
  {
    TrainConfig c;
    config::Schema s;
    c.register_fields(s);
    s.load({{path.string()}, "TRIAGE_TRAIN", {"run.epochs=2"}});
    EXPECT_EQ(c.run.batch_size, 16);  // environment over the file
    EXPECT_EQ(c.run.epochs, 2);       // --set over the file
    EXPECT_EQ(c.run.device, DeviceSetting::cpu);
  }
  {
    TrainConfig c;
    config::Schema s;
    c.register_fields(s);
    auto msg = error_of([&] { s.load({{path.string()}, "TRIAGE_TRAIN", {"run.batch_size=0"}}); });
    EXPECT_NE(msg.find("run.batch_size: expected an integer in [1, 1048576], found 0"), std::string::npos) << msg;
  }
  {
    TrainConfig c;
    config::Schema s;
    c.register_fields(s);
    auto msg = error_of([&] { s.load({{}, "", {"dist.timeout_s=0"}}); });
    EXPECT_NE(msg.find("dist.timeout_s: expected a number > 0, found 0"), std::string::npos) << msg;
  }
  ::unsetenv("TRIAGE_TRAIN_RUN_BATCH_SIZE");
  ::unsetenv("TRIAGE_TRAIN_RUN_DEVICE");
  fs::remove(path);
  TrainConfig c;
  c.model.stride = 200;
  auto msg = error_of([&] { c.validate(false); });
  EXPECT_NE(msg.find("model.stride: expected 0 <= stride < model.max_seq_len - 2 = 126, found 200"), std::string::npos)
      << msg;
  c.model.stride = 32;
  EXPECT_NE(error_of([&] { c.validate(true); }).find("model.base: required"), std::string::npos);
}

TEST(Schedule, MatchesTransformersFormulas) {
  LrSchedule lin(Schedule::linear, 10, 110);
  EXPECT_DOUBLE_EQ(lin.factor(0), 0.0);
  EXPECT_DOUBLE_EQ(lin.factor(5), 0.5);
  EXPECT_DOUBLE_EQ(lin.factor(10), 1.0);
  EXPECT_DOUBLE_EQ(lin.factor(60), 0.5);
  EXPECT_DOUBLE_EQ(lin.factor(110), 0.0);
  LrSchedule cos(Schedule::cosine, 10, 110);
  EXPECT_NEAR(cos.factor(60), 0.5, 1e-12);
  EXPECT_NEAR(cos.factor(35), 0.5 * (1 + std::cos(M_PI * 0.25)), 1e-12);
  LrSchedule con(Schedule::constant, 0, 5);
  EXPECT_DOUBLE_EQ(con.factor(3), 1.0);
  EXPECT_NE(error_of([] { LrSchedule(Schedule::linear, 0, 0); }).find("no optimizer steps"), std::string::npos);
}

namespace {
model::TokenClassifier tiny_model(uint64_t seed = 1, double dropout = 0.1) {
  auto j = nlohmann::json{{"model_type", "bert"}, {"vocab_size", 50}, {"hidden_size", 16},
                          {"num_hidden_layers", 2}, {"num_attention_heads", 2}, {"intermediate_size", 24},
                          {"max_position_embeddings", 16}, {"hidden_dropout_prob", dropout},
                          {"attention_probs_dropout_prob", dropout},
                          {"id2label", {{"0", "O"}, {"1", "B-x"}, {"2", "I-x"}}}};
  auto c = model::config_from_json(j, "tiny");
  c.intent_labels = {"a", "b"};
  torch::manual_seed(seed);
  return model::TokenClassifier(c);
}
}  // namespace

TEST(Optimizer, NoDecayOnBiasAndLayerNorm) {
  auto m = tiny_model();
  auto opt = make_adamw(*m, {1e-3, 0.1});
  ASSERT_EQ(opt->param_groups().size(), 2u);
  const auto& g0 = opt->param_groups()[0];
  const auto& g1 = opt->param_groups()[1];
  EXPECT_DOUBLE_EQ(static_cast<const torch::optim::AdamWOptions&>(g0.options()).weight_decay(), 0.1);
  EXPECT_DOUBLE_EQ(static_cast<const torch::optim::AdamWOptions&>(g1.options()).weight_decay(), 0.0);
  size_t n_params = m->parameters().size();
  EXPECT_EQ(g0.params().size() + g1.params().size(), n_params);
  // every bias and LayerNorm tensor is in group 1
  std::set<void*> nd;
  for (const auto& p : g1.params()) nd.insert(p.unsafeGetTensorImpl());
  for (const auto& item : m->named_parameters()) {
    const bool expect_nd = item.key().find("LayerNorm") != std::string::npos ||
                           item.key().rfind(".bias") == item.key().size() - 5;
    EXPECT_EQ(nd.count(item.value().unsafeGetTensorImpl()) == 1, expect_nd) << item.key();
  }
}

// The trainer's fused AdamW against torch::optim::AdamW: same groups, 6 steps, one tensor
// without a gradient on step 3 (its step count falls behind: the per-tensor path), then the
// state saved by one loads into the other. Tolerance 1e-6 abs + 1e-5 rel: the two differ
// only in rounding (lerp vs mul/add for the first moment, division order).
TEST(Optimizer, FusedAdamWMatchesTorchAdamW) {
  auto a = tiny_model(3, 0.0), b = tiny_model(3, 0.0);
  auto fused = make_adamw(*a, {1e-2, 0.1}, true);
  auto plain = make_adamw(*b, {1e-2, 0.1}, false);
  ASSERT_NE(dynamic_cast<FusedAdamW*>(fused.get()), nullptr);
  auto pa = a->parameters(), pb = b->parameters();
  torch::manual_seed(5);
  for (int step = 0; step < 6; ++step) {
    for (size_t i = 0; i < pa.size(); ++i) {
      if (step == 2 && i == 1) {
        pa[i].mutable_grad() = torch::Tensor();
        pb[i].mutable_grad() = torch::Tensor();
        continue;
      }
      auto g = torch::randn_like(pa[i]);
      pa[i].mutable_grad() = g.clone();
      pb[i].mutable_grad() = g.clone();
    }
    fused->step();
    plain->step();
    for (size_t i = 0; i < pa.size(); ++i)
      ASSERT_TRUE(torch::allclose(pa[i], pb[i], 1e-5, 1e-6)) << "param " << i << " step " << step;
  }
  // The state format is torch's: save the fused state, load it into a torch AdamW.
  auto dir = std::filesystem::temp_directory_path() / ("fused_adamw_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  torch::save(*fused, (dir / "opt.pt").string());
  auto c = tiny_model(3, 0.0);
  auto loaded = make_adamw(*c, {1e-2, 0.1}, false);
  torch::load(*loaded, (dir / "opt.pt").string());
  std::filesystem::remove_all(dir);
  const auto& st = static_cast<torch::optim::AdamWParamState&>(*loaded->state().at(c->parameters()[0].unsafeGetTensorImpl()));
  const auto& sf = static_cast<torch::optim::AdamWParamState&>(*fused->state().at(pa[0].unsafeGetTensorImpl()));
  EXPECT_EQ(st.step(), 6);
  EXPECT_TRUE(torch::equal(st.exp_avg_sq(), sf.exp_avg_sq()));
}

TEST(Loss, IgnoresMinus100AndWeighsIntent) {
  torch::manual_seed(0);
  auto logits = torch::randn({2, 3, 4});
  auto labels = torch::tensor({{1, -100, 2}, {-100, 0, 3}}, torch::kLong);
  auto il = torch::randn({2, 5});
  auto intents = torch::tensor({4, 1}, torch::kLong);
  LossSettings s;
  s.intent_weight = 0.5;
  auto parts = compute_loss(logits, labels, il, intents, s);
  auto lsm = torch::log_softmax(logits, -1);
  double manual = -(lsm[0][0][1] + lsm[0][2][2] + lsm[1][1][0] + lsm[1][2][3]).item<double>() / 4;
  auto ilsm = torch::log_softmax(il, -1);
  double manual_i = -(ilsm[0][4] + ilsm[1][1]).item<double>() / 2;
  EXPECT_NEAR(parts.token, manual, 1e-6);
  EXPECT_NEAR(parts.intent, manual_i, 1e-6);
  EXPECT_NEAR(parts.total.item<double>(), manual + 0.5 * manual_i, 1e-6);
  // all ignored: zero loss, still differentiable, no NaN
  auto none = compute_loss(logits.requires_grad_(), torch::full({2, 3}, -100, torch::kLong), {}, {}, s);
  EXPECT_EQ(none.total.item<double>(), 0.0);
}

// model.kernels fused: the token term is the fused cross-entropy (its C++ reference on the
// CPU), not torch's: the same value, and the kernel's own error on a target out of range;
// class weights fall back to torch's. Shares scale the terms as the trainer's step needs.
TEST(Loss, FusedModeRunsTheKernelAndSharesScale) {
  torch::manual_seed(1);
  auto logits = torch::randn({8, 16, 9});
  auto labels = torch::randint(0, 9, {8, 16}, torch::kLong).masked_fill(torch::rand({8, 16}) < 0.3, -100);
  LossSettings torch_s, fused_s;
  fused_s.kernels = kernels::KernelMode::Fused;
  const auto t = compute_loss(logits, labels, {}, {}, torch_s);
  const auto f = compute_loss(logits, labels, {}, {}, fused_s);
  EXPECT_NEAR(f.token, t.token, 1e-5);
  const auto bad = labels.clone().index_put_({0, 0}, 9);  // class 9 of 9
  EXPECT_NE(error_of<std::exception>([&] { compute_loss(logits, bad, {}, {}, fused_s); }).find("token_cross_entropy: target 9"),
            std::string::npos);
  EXPECT_EQ(error_of<std::exception>([&] { compute_loss(logits, bad, {}, {}, torch_s); }).find("token_cross_entropy"),
            std::string::npos);
  auto weighted = fused_s;
  weighted.class_weights = torch::ones({9});
  EXPECT_EQ(compute_loss(logits, labels, {}, {}, weighted).token, t.token);  // torch's, exactly
  auto il = torch::randn({8, 5});
  auto intents = torch::randint(0, 5, {8}, torch::kLong);
  const auto whole = compute_loss(logits, labels, il, intents, torch_s);
  const auto part = compute_loss(logits, labels, il, intents, torch_s, 0.25, 0.5);
  EXPECT_NEAR(part.total.item<double>(), 0.25 * whole.token + 0.5 * whole.intent, 1e-6);
}

namespace {
// Batches of a learnable toy task: label = 1 where id is even (B-x), intent = first id % 2.
class ToySource : public BatchSource {
 public:
  int64_t batches_in_epoch(int64_t) const override { return 6; }
  TensorBatch batch(int64_t epoch, int64_t index) const override {
    auto g = at::make_generator<at::CPUGeneratorImpl>(1000 * epoch + index);
    TensorBatch b;
    b.input_ids = torch::randint(1, 50, {4, 7}, g, torch::kLong);
    b.attention_mask = torch::ones_like(b.input_ids);
    b.attention_mask.index_put_({1, torch::indexing::Slice(4, 7)}, 0);
    b.labels = (b.input_ids.remainder(2) == 0).to(torch::kLong);
    b.labels.masked_fill_(b.attention_mask == 0, -100);
    b.intents = b.input_ids.select(1, 0).remainder(2);
    b.tokens = b.attention_mask.sum().item<int64_t>();
    return b;
  }
};

TrainConfig toy_config(const fs::path& out) {
  TrainConfig c;
  c.run.epochs = 3;
  c.run.output_dir = out.string();
  c.run.eval_every = 4;
  c.run.log_every = 2;
  c.run.device = DeviceSetting::cpu;
  c.optim.lr = 1e-2;
  c.optim.grad_accum = 2;
  return c;
}

model::Checkpoint toy_checkpoint() {
  model::Checkpoint ck;
  ck.model = tiny_model(1);
  return ck;
}
}  // namespace

TEST(Trainer, LearnsAndResumesBitIdentically) {
  ToySource src;
  auto eval = [](model::TokenClassifier&) { return std::map<std::string, double>{{"entity_f1", 0.5}}; };
  auto full_dir = temp_dir("full"), part_dir = temp_dir("part");
  // uninterrupted: 9 steps (6 batches / accum 2 = 3 steps per epoch)
  torch::manual_seed(5);
  Trainer full(toy_config(full_dir), toy_checkpoint(), src, eval, {});
  auto s = full.run();
  EXPECT_EQ(s.steps, 9);
  // interrupted after the step-4 evaluation, then resumed by a fresh trainer
  torch::manual_seed(5);
  auto cfg = toy_config(part_dir);
  {
    Trainer first(cfg, toy_checkpoint(), src, eval, {});
    int calls = 0;
    auto s1 = first.run([&] { return ++calls == 5; });  // stops after step 5, mid-epoch
    EXPECT_TRUE(s1.interrupted);
    EXPECT_EQ(s1.steps, 5);
  }
  // scramble global RNG state: resume must restore it
  torch::manual_seed(12345);
  Trainer second(cfg, toy_checkpoint(), src, eval, {});
  second.resume(part_dir);
  auto s2 = second.run();
  EXPECT_EQ(s2.steps, 9);
  auto a = full.model()->named_parameters(), b = second.model()->named_parameters();
  for (const auto& item : a) EXPECT_TRUE(torch::equal(item.value(), b[item.key()])) << item.key();
  // metrics.jsonl holds train, eval and summary records
  std::ifstream in(full_dir / "metrics.jsonl");
  int train = 0, evals = 0;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    train += j["type"] == "train";
    evals += j["type"] == "eval";
  }
  EXPECT_GT(train, 2);
  EXPECT_GE(evals, 2);
  EXPECT_TRUE(fs::exists(full_dir / "best" / "model.safetensors"));
  EXPECT_TRUE(fs::exists(full_dir / "last" / "training_state" / "optimizer.pt"));
  fs::remove_all(full_dir);
  fs::remove_all(part_dir);
}

TEST(Trainer, LossDecreasesOnToyTask) {
  ToySource src;
  auto dir = temp_dir("learn");
  auto cfg = toy_config(dir);
  cfg.run.epochs = 25;
  cfg.optim.grad_accum = 1;
  cfg.optim.lr = 1e-2;
  cfg.run.eval_every = 0;
  cfg.run.log_every = 6;
  Trainer t(cfg, toy_checkpoint(), src, {}, {});
  t.run();
  std::ifstream in(dir / "metrics.jsonl");
  std::vector<double> losses;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    if (j["type"] == "train") losses.push_back(j["loss"]);
  }
  ASSERT_GE(losses.size(), 4u);
  EXPECT_LT(losses.back(), 0.5 * losses.front()) << "first " << losses.front() << " last " << losses.back();
  fs::remove_all(dir);
}

namespace {
// Rows of lengths 1..10 padded at the end, a CLS-like first token, the toy task's labels.
class RaggedSource : public BatchSource {
 public:
  int64_t batches_in_epoch(int64_t) const override { return 5; }
  TensorBatch batch(int64_t epoch, int64_t index) const override {
    auto g = at::make_generator<at::CPUGeneratorImpl>(77 + 1000 * epoch + index);
    const auto lengths = torch::randint(1, 11, {6}, g, torch::kLong);
    const int64_t seq = lengths.max().item<int64_t>();
    TensorBatch b;
    b.input_ids = torch::randint(1, 50, {6, seq}, g, torch::kLong);
    b.attention_mask = (torch::arange(seq).unsqueeze(0) < lengths.unsqueeze(1)).to(torch::kLong);
    b.input_ids.masked_fill_(b.attention_mask == 0, 0);
    b.labels = (b.input_ids.remainder(2) == 0).to(torch::kLong).masked_fill(b.attention_mask == 0, -100);
    b.labels.select(1, 0).fill_(-100);
    b.intents = b.input_ids.select(1, 1 % seq).remainder(2);
    b.tokens = b.attention_mask.sum().item<int64_t>();
    return b;
  }
};
}  // namespace

// run.packing: from the same start with dropout off, 20 steps without padding end where 20
// padded steps end (every weight within 1e-5 but the attention key biases, see below; the
// logged losses too), softmax and CRF heads.
TEST(Trainer, PackedStepsEqualPadded) {
  for (const bool crf : {false, true}) {
    RaggedSource src;
    auto run = [&](bool packing) {
      auto dir = temp_dir(packing ? "packed" : "padded");
      auto cfg = toy_config(dir);
      cfg.run.max_steps = 20;
      cfg.run.epochs = 100;
      cfg.run.eval_every = 0;
      cfg.run.log_every = 1;
      cfg.optim.grad_accum = 1;
      cfg.run.packing = packing;
      model::Checkpoint ck;
      auto c = tiny_model(1, 0.0)->config();
      c.crf_head = crf;
      torch::manual_seed(1);
      ck.model = model::TokenClassifier(c);
      Trainer t(cfg, std::move(ck), src, {}, {});
      EXPECT_EQ(t.run().steps, 20);
      std::vector<double> losses;
      std::ifstream in(dir / "metrics.jsonl");
      for (std::string line; std::getline(in, line);) {
        auto j = nlohmann::json::parse(line);
        if (j["type"] == "train") losses.push_back(j["loss"]);
      }
      fs::remove_all(dir);
      return std::make_pair(t.model(), losses);
    };
    const auto [padded, padded_losses] = run(false);
    const auto [packed, packed_losses] = run(true);
    ASSERT_EQ(padded_losses.size(), 20u);
    ASSERT_EQ(packed_losses.size(), 20u);
    for (size_t i = 0; i < 20; ++i) EXPECT_NEAR(packed_losses[i], padded_losses[i], 1e-5) << "step " << i + 1;
    auto a = padded->named_parameters(), b = packed->named_parameters();
    double worst = 0;
    std::string where;
    for (const auto& item : a) {
      // The attention key bias adds the same score to every key of a query, so its gradient is
      // zero but for float noise (~1e-10), which AdamW divides by its own tiny RMS and turns
      // into steps of up to lr: padded and packed noise differ, so it is left out.
      if (item.key().find("attention.self.key.bias") != std::string::npos) continue;
      const double d = (item.value() - b[item.key()]).abs().max().item<double>();
      if (d > worst) where = item.key();
      worst = std::max(worst, d);
    }
    EXPECT_LE(worst, 1e-5) << (crf ? "crf " : "softmax ") << where;
    // the weights moved: equal because the paths agree, not because nothing trained
    auto fresh = tiny_model(1, 0.0)->named_parameters();
    EXPECT_GT((a["classifier.weight"] - fresh["classifier.weight"]).abs().max().item<double>(), 1e-3);
  }
}

// run.precision bf16 on the CPU: autocast where the CPU multiplies bf16 natively (the first
// loss differs from fp32's by bf16 rounding only, the model keeps fp32 weights and learns);
// refused naming the key elsewhere.
TEST(Trainer, Bf16AutocastOnCpu) {
  ToySource src;
  auto first_losses = [&](const std::string& precision, std::vector<double>* losses) {
    auto dir = temp_dir("bf16-" + precision);
    auto cfg = toy_config(dir);
    cfg.run.epochs = 25;
    cfg.optim.grad_accum = 1;
    cfg.run.eval_every = 0;
    cfg.run.log_every = 1;
    cfg.run.precision = precision == "bf16" ? Precision::bf16 : Precision::fp32;
    torch::manual_seed(3);
    Trainer t(cfg, toy_checkpoint(), src, {}, {});
    t.run();
    for (const auto& p : t.model()->parameters()) EXPECT_EQ(p.scalar_type(), torch::kFloat);
    std::ifstream in(dir / "metrics.jsonl");
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line);
      if (j["type"] == "train") losses->push_back(j["loss"]);
    }
    fs::remove_all(dir);
  };
  if (!model::cpu_has_native_bf16()) {
    std::vector<double> unused;
    try {
      first_losses("bf16", &unused);
      FAIL() << "bf16 on a CPU without native bf16 products must be refused";
    } catch (const triage::InputError& e) {
      EXPECT_NE(std::string(e.what()).find("run.precision"), std::string::npos) << e.what();
    }
    return;
  }
  std::vector<double> fp32, bf16;
  first_losses("fp32", &fp32);
  first_losses("bf16", &bf16);
  ASSERT_FALSE(fp32.empty());
  ASSERT_FALSE(bf16.empty());
  EXPECT_NE(fp32.front(), bf16.front()) << "bf16 autocast did not change the arithmetic";
  EXPECT_NEAR(bf16.front(), fp32.front(), 0.02 * fp32.front());
  EXPECT_LT(bf16.back(), 0.5 * bf16.front()) << "first " << bf16.front() << " last " << bf16.back();
}

TEST(Trainer, EarlyStoppingAfterPatienceAndBestKept) {
  ToySource src;
  auto dir = temp_dir("patience");
  auto cfg = toy_config(dir);
  cfg.run.epochs = 10;
  cfg.optim.grad_accum = 1;
  cfg.run.eval_every = 2;
  cfg.run.patience = 2;
  // dev metric improves at the first two evaluations, then only gets worse
  int calls = 0;
  auto eval = [&calls](model::TokenClassifier&) {
    ++calls;
    const double v = calls <= 2 ? 0.1 * calls : 0.2 - 0.01 * calls;
    return std::map<std::string, double>{{"entity_f1", v}};
  };
  Trainer t(cfg, toy_checkpoint(), src, eval, {});
  auto s = t.run();
  EXPECT_TRUE(s.early_stopped);
  EXPECT_EQ(calls, 4);               // two improvements, then patience 2
  EXPECT_EQ(s.steps, 8);             // evaluations at steps 2, 4, 6, 8
  EXPECT_EQ(s.best_step, 4);
  EXPECT_NEAR(s.best_metric, 0.2, 1e-12);
  std::ifstream meta(dir / "best" / "triage.json");
  EXPECT_EQ(nlohmann::json::parse(meta)["step"], 4);
  fs::remove_all(dir);
}
