// ModelSnapshot on a tiny random checkpoint written here: load (name, version, labels),
// prepare -> run -> answers, batch invariance (jobs alone == jobs batched, long texts
// windowed), turn offsets, sub-word limit and truncation, tag order.
#include <gtest/gtest.h>

#include <torch/cuda.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <tuple>

#include <torch/torch.h>

#include "core/content_version.h"
#include "core/error.h"
#include "data/example.h"
#include "data/wordpiece.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "model/inference_options.h"
#include "model/predictor.h"
#include "model/packed_cpu.h"
#include "serve/engine.h"

using namespace triage;
using namespace triage::serve;
namespace fs = std::filesystem;

namespace {

fs::path test_root() { return fs::temp_directory_path() / ("triage-serve-test-" + std::to_string(::getpid())); }

// Removes the checkpoints when the test program ends.
struct RemoveRoot : ::testing::Environment {
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(test_root(), ec);
  }
};
const auto* const kRemoveRoot = ::testing::AddGlobalTestEnvironment(new RemoveRoot);

// A 2-layer BERT with a WordPiece vocabulary of a few dozen words. biased: every
// sub-word predicts I-email and the intent is refund (deterministic entities).
fs::path make_checkpoint(const std::string& name, bool biased) {
  const fs::path root = test_root();
  const fs::path tok_dir = root / (name + "-tok");
  const fs::path dir = root / name;
  if (fs::exists(dir / "model.safetensors")) return dir;
  fs::create_directories(tok_dir);
  std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  for (const char* w : {"order", "refund", "my", "is", "please", "email", "jane", "@", "example", ".", "com", "a", "-",
                        "1", "2", "3", "hello", "customer", "agent", ":", "the", "for", "##s", "##1", "want", "money"})
    vocab.push_back(w);
  {
    std::ofstream v(tok_dir / "vocab.txt");
    for (const auto& t : vocab) v << t << "\n";
  }
  auto tok = data::WordPieceTokenizer::from_vocab_txt(tok_dir);
  nlohmann::json j = {{"model_type", "bert"},
                      {"vocab_size", static_cast<int64_t>(vocab.size())},
                      {"hidden_size", 16},
                      {"num_hidden_layers", 2},
                      {"num_attention_heads", 2},
                      {"intermediate_size", 24},
                      {"max_position_embeddings", 32},
                      {"id2label", {{"0", "O"}, {"1", "B-email"}, {"2", "I-email"}, {"3", "B-order_id"}, {"4", "I-order_id"}}}};
  auto c = model::config_from_json(j, "tiny");
  c.intent_labels = {"billing", "other", "refund"};
  torch::manual_seed(7);
  model::TokenClassifier m(c);
  if (biased) {
    torch::NoGradGuard ng;
    for (auto& p : m->named_parameters()) {
      if (p.key() == "classifier.bias") p.value().index_put_({2}, 100.0);
      if (p.key() == "intent_classifier.bias") p.value().index_put_({2}, 100.0);
    }
  }
  model::CheckpointMeta meta;
  meta.max_seq_len = 12;  // not the defaults (128, 32): serve and eval must both read them
  meta.stride = 3;
  model::save_checkpoint(dir, m, tok.get(), meta);
  return dir;
}

std::shared_ptr<const ModelSnapshot> load(const fs::path& dir) {
  SnapshotOptions o;
  o.dir = dir.string();
  o.batch_max_size = 4;
  o.batch_max_tokens = 64;
  return ModelSnapshot::load(o);
}

RouteRequest text_request(std::string text) {
  RouteRequest r;
  r.text = std::move(text);
  return r;
}

void run_alone(const std::shared_ptr<InferenceJob>& job) { job->snapshot->run({job.get()}); }

}  // namespace

TEST(Engine, LoadsNameVersionLabels) {
  const auto dir = make_checkpoint("best", false);
  auto s = load(dir);
  EXPECT_EQ(s->ref().name, dir.parent_path().filename().string());  // best -> its parent's name
  EXPECT_EQ(s->ref().version.size(), 12u);
  EXPECT_EQ(s->ref().version, file_content_version((dir / "model.safetensors").string()));
  EXPECT_EQ(s->entity_types(), (std::vector<std::string>{"email", "order_id"}));
  EXPECT_EQ(s->intents(), (std::vector<std::string>{"billing", "other", "refund"}));
  EXPECT_EQ(s->max_seq_len(), 12);
  EXPECT_EQ(s->stride(), 3);
  EXPECT_EQ(s->architecture(), "BertForTokenClassification");
  EXPECT_EQ(default_model_name("/x/runs/quick/model/last/"), "model");
  EXPECT_EQ(default_model_name("/x/runs/mine"), "mine");
  SnapshotOptions missing;
  missing.dir = "/nonexistent/dir";
  EXPECT_THROW(ModelSnapshot::load(missing), triage::InputError);
}

// triage-eval and triage-serve window a checkpoint through the one inference setup
// (model/inference_options.h): triage.json's window length and stride (12 and 3 here, not
// the defaults 128 and 32), and on a text several windows long the same entities.
TEST(Engine, WindowsAsEvalDoes) {
  const auto dir = make_checkpoint("random", false);
  auto s = load(dir);
  auto ck = model::load_checkpoint(dir);
  ck.model->eval();
  ck.model->pack_for_cpu_precision("fp32", "--precision");  // as triage-eval --model
  const model::PredictOptions po = model::inference_options(ck.meta, ck.config());  // eval's defaults
  EXPECT_EQ(po.windows.max_seq_len, 12);
  EXPECT_EQ(po.windows.stride, 3);
  EXPECT_EQ(s->max_seq_len(), po.windows.max_seq_len);
  EXPECT_EQ(s->stride(), po.windows.stride);
  const std::string text =
      "please refund my order 123 for jane @ example . com the money is for the order please refund my order 321 "
      "hello agent customer refund refund order email please my order is a-123 please refund jane";
  auto req = text_request(text);
  auto job = s->prepare_route(req, PrepareLimits{});
  run_alone(job);
  EXPECT_GT(job->rows, 3);  // several windows
  const auto served = s->route_response(*job);
  model::Predictor eval_side(ck.model, ck.tokenizer, po);
  const auto pred = eval_side.predict({data::make_text_example("t", text)}).at(0);
  EXPECT_EQ(pred.windows, job->rows);
  ASSERT_GT(pred.decoded.spans.size(), 0u);  // random weights still tag a few spans here
  ASSERT_EQ(served.entities.size(), pred.decoded.spans.size());
  for (size_t k = 0; k < served.entities.size(); ++k) {
    const auto& sp = pred.decoded.spans[k];
    EXPECT_EQ(served.entities[k].label, eval_side.schema().entity_types()[static_cast<size_t>(sp.type)]);
    EXPECT_EQ(served.entities[k].start, sp.start);
    EXPECT_EQ(served.entities[k].end, sp.end);
  }
}

// The same requests give the same answers alone and batched (windows included).
TEST(Engine, BatchInvariance) {
  auto s = load(make_checkpoint("random", false));
  const std::vector<std::string> texts = {
      "hello",
      "my order is a-123 please refund",
      "please refund my order 123 for jane @ example . com the money is for the order please refund my order 321 "
      "hello agent customer refund refund order email please",
      "",
      "email jane",
  };
  PrepareLimits lim;
  std::vector<std::shared_ptr<InferenceJob>> alone, together;
  std::vector<Job*> batch;
  for (const auto& t : texts) {
    auto r1 = text_request(t), r2 = text_request(t);
    alone.push_back(s->prepare_route(r1, lim));
    together.push_back(s->prepare_route(r2, lim));
    batch.push_back(together.back().get());
  }
  EXPECT_GT(alone[2]->rows, 1);  // windowed: longer than max_seq_len 12
  for (auto& j : alone) run_alone(j);
  s->run(batch);
  for (size_t i = 0; i < texts.size(); ++i) {
    auto a = s->route_response(*alone[i]);
    auto b = s->route_response(*together[i]);
    ASSERT_EQ(a.entities.size(), b.entities.size()) << texts[i];
    for (size_t k = 0; k < a.entities.size(); ++k) {
      EXPECT_EQ(a.entities[k].start, b.entities[k].start);
      EXPECT_EQ(a.entities[k].end, b.entities[k].end);
      EXPECT_EQ(a.entities[k].label, b.entities[k].label);
      EXPECT_NEAR(a.entities[k].score, b.entities[k].score, 1e-4);
      // offsets are code points into the text; text is that substring (ASCII here)
      EXPECT_EQ(a.entities[k].text, texts[i].substr(static_cast<size_t>(a.entities[k].start),
                                                    static_cast<size_t>(a.entities[k].end - a.entities[k].start)));
    }
    ASSERT_TRUE(a.intent.has_value());
    EXPECT_EQ(a.intent->label, b.intent->label);
    EXPECT_NEAR(a.intent->score, b.intent->score, 1e-4);
    EXPECT_EQ(a.intent->alternatives.size(), 2u);  // 3 intents: the other two
    EXPECT_EQ(a.route.queue, a.intent->label);     // no rules file: queue = intent
  }
}

// runtime.device (issue 20): cpu by default and reported; cuda where no GPU is visible, an
// unknown device, a precision the device does not run: each an InputError naming the key.
TEST(Engine, Device) {
  const auto dir = make_checkpoint("device", false);
  auto cpu = load(dir);
  EXPECT_EQ(cpu->device(), "cpu");
  EXPECT_EQ(cpu->info_response(ServeConfig{}).device, "cpu");
  auto refused = [&](const std::string& device, const std::string& precision) {
    SnapshotOptions o;
    o.dir = dir.string();
    o.device = device;
    o.precision = precision;
    try {
      ModelSnapshot::load(o);
    } catch (const triage::InputError& e) {
      return std::string(e.what());
    }
    return std::string("loaded");
  };
  EXPECT_NE(refused("tpu", "auto").find("runtime.device: 'tpu' is not a device (cpu, cuda or cuda:N)"),
            std::string::npos);
  EXPECT_NE(refused("cuda:x", "auto").find("runtime.device: 'cuda:x' is not a device"), std::string::npos);
  EXPECT_NE(refused("cpu", "fp16").find("runtime.precision: 'fp16' on the CPU"), std::string::npos);
  if (!torch::cuda::is_available()) {
    EXPECT_NE(refused("cuda", "auto").find("runtime.device: cuda: no CUDA device is available"), std::string::npos)
        << refused("cuda", "auto");
  } else {
    EXPECT_NE(refused("cuda", "int8").find("runtime.precision: 'int8' on CUDA"), std::string::npos);
    EXPECT_NE(refused("cuda:99", "auto").find("runtime.device: cuda:99: device 99 is not visible"), std::string::npos);
  }
}

// runtime.precision: fp32 by default on the packed path; bf16 (CPUs with native bf16
// products) and int8 (where fbgemm runs) answer as fp32 does up to their rounding, and are
// refused with the key named (not silently served in fp32) where they can't run.
TEST(Engine, Precision) {
  const auto dir = make_checkpoint("precision", false);
  auto fp32 = load(dir);
  EXPECT_EQ(fp32->precision(), "fp32");
  EXPECT_TRUE(fp32->packed_weights());
  // bf16 keeps ~3 significant digits through the products, int8 ~2: intent scores agree to
  // 0.02 and 0.03
  for (const auto& [precision, can, tol] : {std::tuple{std::string("bf16"), model::cpu_has_native_bf16(), 0.02},
                                            std::tuple{std::string("int8"), model::int8_unavailable_reason().empty(), 0.03}}) {
    SCOPED_TRACE(precision);
    SnapshotOptions o;
    o.dir = dir.string();
    o.batch_max_size = 4;
    o.batch_max_tokens = 64;
    o.precision = precision;
    if (!can) {
      try {
        ModelSnapshot::load(o);
        ADD_FAILURE() << precision << " must be refused where it can't run";
      } catch (const triage::InputError& e) {
        EXPECT_NE(std::string(e.what()).find("runtime.precision: " + precision), std::string::npos) << e.what();
      }
      continue;
    }
    auto low = ModelSnapshot::load(o);
    EXPECT_EQ(low->precision(), precision);
    EXPECT_TRUE(low->packed_weights());
    PrepareLimits lim;
    double max_diff = 0;
    for (const std::string t : {"hello", "my order is a-123 please refund", "email jane"}) {
      auto r1 = text_request(t), r2 = text_request(t);
      auto a = fp32->prepare_route(r1, lim), b = low->prepare_route(r2, lim);
      run_alone(a);
      run_alone(b);
      auto ra = fp32->route_response(*a), rb = low->route_response(*b);
      ASSERT_TRUE(ra.intent && rb.intent);
      EXPECT_NEAR(ra.intent->score, rb.intent->score, tol) << t;
      max_diff = std::max(max_diff, static_cast<double>(std::abs(ra.intent->score - rb.intent->score)));
    }
    EXPECT_GT(max_diff, 0.0) << "identical scores: the " << precision << " snapshot computed in fp32";
  }
}

// Turns: offsets are code points into each turn's text, the speaker prefix is no entity.
TEST(Engine, TurnOffsets) {
  auto s = load(make_checkpoint("biased", true));
  RouteRequest r;
  r.has_turns = true;
  r.turns = {{"customer", "héllo my order"}, {"agent", "email jane"}, {"", "refund"}};
  auto job = s->prepare_route(r, {});
  run_alone(job);
  auto a = s->route_response(*job);
  ASSERT_EQ(a.entities.size(), 3u);
  const std::vector<std::string> texts = {"héllo my order", "email jane", "refund"};
  for (int t = 0; t < 3; ++t) {
    const auto& e = a.entities[static_cast<size_t>(t)];
    EXPECT_EQ(e.turn, t);
    EXPECT_EQ(e.label, "email");
    EXPECT_EQ(e.start, 0);
    EXPECT_EQ(e.text, texts[static_cast<size_t>(t)]);
  }
  EXPECT_EQ(a.entities[0].end, 14);  // code points, not bytes (é)
  ASSERT_TRUE(a.intent.has_value());
  EXPECT_EQ(a.intent->label, "refund");
  EXPECT_EQ(a.route.queue, "refund");
  EXPECT_FALSE(a.route.fallback);
}

TEST(Engine, SubwordLimitAndTruncation) {
  auto s = load(make_checkpoint("biased", true));
  PrepareLimits lim;
  lim.max_subwords = 3;
  auto r = text_request("my order is for jane");
  try {
    s->prepare_route(r, lim);
    FAIL() << "expected 422";
  } catch (const RequestError& e) {
    EXPECT_EQ(e.error().status, 422);
    EXPECT_EQ(e.error().reason(), "text_too_long");
    EXPECT_NE(e.error().message.find("5 sub-words"), std::string::npos) << e.error().message;
  }
  lim.truncate = true;
  auto r2 = text_request("my order is for jane");
  auto job = s->prepare_route(r2, lim);
  EXPECT_TRUE(job->truncated);
  EXPECT_EQ(job->subwords, 3);
  run_alone(job);
  auto a = s->route_response(*job);
  EXPECT_TRUE(a.truncated);
  ASSERT_EQ(a.entities.size(), 1u);
  EXPECT_EQ(a.entities[0].text, "my order is");  // words past the cut are not tagged
}

TEST(Engine, TagKeepsOrder) {
  auto s = load(make_checkpoint("biased", true));
  TagRequest r;
  r.texts = {"refund", "", "my order"};
  auto job = s->prepare_tag(r, {});
  run_alone(job);
  auto t = s->tag_response(*job);
  ASSERT_EQ(t.results.size(), 3u);
  EXPECT_EQ(t.results[0].entities.at(0).text, "refund");
  EXPECT_TRUE(t.results[1].entities.empty());
  EXPECT_EQ(t.results[2].entities.at(0).text, "my order");
  EXPECT_EQ(t.model.version, s->ref().version);
}
