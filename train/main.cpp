// triage-train: fine-tune a BERT-family checkpoint on labelled support data.
//   triage-train --config configs/NAME.yaml [--config more.yaml] [--set section.key=value ...]
//                [--dump-config] [--resume DIR] [--nproc-per-node N]
// One process, or one rank of a job: torchrun's environment (WORLD_SIZE, RANK, ...) makes it
// a rank; --nproc-per-node N starts N local ranks itself (train/launcher.h).
// Exit codes: 0 done (or stopped on SIGINT/SIGTERM with a resumable state), 2 bad input or
// usage, 1 internal failure (a failed rank, a collective that failed or timed out).
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <ATen/Parallel.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/cli.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/log.h"
#include "core/run_main.h"
#include "eval/model_eval.h"
#include "kernels/kernel_mode.h"
#include "model/checkpoint.h"
#include "model/inference_options.h"
#include "model/predictor.h"
#include "train/comm.h"
#include "train/data_source.h"
#include "train/launcher.h"
#include "train/mlflow_tracker.h"
#include "train/tracked_scalars.h"
#include "train/train_config.h"
#include "train/trainer.h"

using namespace triage;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

volatile std::sig_atomic_t g_stop = 0;
std::string g_prog = "triage-train";  // "triage-train[rank R]" in a multi-process job
void on_signal(int) { g_stop = 1; }

std::string describe_unseen(const data::UnseenLabels& u) {
  std::string s;
  for (const auto& [k, v] : u.entity_types) s += (s.empty() ? "" : ", ") + ("entity " + k + " x" + std::to_string(v));
  for (const auto& [k, v] : u.intents) s += (s.empty() ? "" : ", ") + ("intent " + k + " x" + std::to_string(v));
  return s;
}

int run(const train::TrainConfig& cfg, const std::string& resolved_yaml, const std::string& resume,
        const train::DistEnv& env) {
  cfg.validate(true);
  if (cfg.run.threads > 0) at::set_num_threads(static_cast<int>(cfg.run.threads));
  // Rendezvous first: a job whose ranks cannot meet fails before the data is read.
  const torch::Device device = train::resolve_device(cfg.run.device, env.local_rank);
  if (device.is_cuda() && env.present) train::select_local_gpu(env);
  auto comm = train::make_communicator(env, cfg.dist.backend,
                                       std::chrono::milliseconds(static_cast<int64_t>(cfg.dist.timeout_s * 1000)),
                                       device.is_cuda());
  const bool root = comm->is_root();
  if (env.present && root)
    log::info(comm->backend() + " job of " + std::to_string(env.world_size) + " ranks (" +
              std::to_string(env.local_world_size) + " on this node), rendezvous at " + env.master_addr + ":" +
              std::to_string(env.master_port));

  auto train_ex = train::read_split(cfg.data.train, cfg.data.format);
  if (train_ex.empty()) throw InputError("data.train: " + cfg.data.train + " holds no examples");
  auto schema = data::LabelSchema::from_examples(train_ex);
  std::vector<data::Example> dev_ex, test_ex;
  if (!cfg.data.dev.empty()) dev_ex = train::read_split(cfg.data.dev, cfg.data.format);
  if (!cfg.data.test.empty()) test_ex = train::read_split(cfg.data.test, cfg.data.format);
  for (auto [name, split] : {std::pair{"dev", &dev_ex}, std::pair{"test", &test_ex}}) {
    auto u = schema.unseen(*split);
    if (!u.empty()) log::warn(std::string(name) + " has labels the training data lacks (scored as errors): " + describe_unseen(u));
  }
  log::info("labels: " + std::to_string(schema.entity_types().size()) + " entity types (" +
            std::to_string(schema.num_tags()) + " tags), " + std::to_string(schema.num_intents()) + " intents");

  model::LoadOptions lo;
  lo.labels = schema.tags();
  lo.intent_labels = schema.intents();
  lo.seed = static_cast<uint64_t>(cfg.run.seed);
  lo.crf_head = cfg.model.crf;
  const fs::path base = model::resolve_model_dir(cfg.model.base);
  auto ck = model::load_checkpoint(base, lo);
  // The checkpoints' triage.json: the window setting trained with (clamped to the model's
  // positions by the one inference setup, which dev, test, eval and serve all use).
  model::CheckpointMeta meta;
  model::InferenceOverrides io;
  io.max_seq_len = cfg.model.max_seq_len;
  io.stride = cfg.model.stride;
  io.max_seq_len_key = "model.max_seq_len";
  io.stride_key = "model.stride";
  io.max_tokens = std::max<int64_t>(cfg.run.max_tokens, 2048);
  io.decode = cfg.decode.resolved(cfg.model.crf);
  io.decode_key = "decode.mode";
  const model::PredictOptions po = model::inference_options(meta, ck.config(), io);
  const data::WindowOptions wo = po.windows;
  if (wo.max_seq_len != cfg.model.max_seq_len)
    log::warn("model.max_seq_len " + std::to_string(cfg.model.max_seq_len) + " exceeds the model's positions: windows of " +
              std::to_string(wo.max_seq_len));
  meta.max_seq_len = wo.max_seq_len;
  meta.stride = wo.stride;
  meta.decode_mode = data::decode_mode_name(cfg.decode.resolved(cfg.model.crf));
  meta.base_model = base.string();
  meta.label_schema = schema.to_json();
  meta.data = model::CheckpointMeta::Data{cfg.data.train, cfg.data.dev, cfg.data.test,
                                          static_cast<int64_t>(train_ex.size())};
  meta.config_yaml = resolved_yaml;
  train::FeatureStats fs_stats;
  auto features = train::make_features(train_ex, *ck.tokenizer, schema, wo, cfg.model.label_all_subwords, &fs_stats);
  log::info("train: " + std::to_string(fs_stats.examples) + " examples, " + std::to_string(fs_stats.subwords) +
            " sub-words, " + std::to_string(fs_stats.features) + " windows (" + std::to_string(fs_stats.windowed_examples) +
            " examples longer than max_seq_len), " + std::to_string(fs_stats.cut_spans) + " spans cut inside a word");
  auto weights = train::class_weights(features, schema, cfg.loss.class_weights, cfg.loss.class_weight_values);
  data::BatchOptions bo;
  bo.max_tokens = cfg.run.max_tokens;
  bo.budget_padded = !cfg.run.packing;
  bo.max_batch_size = static_cast<int32_t>(cfg.run.batch_size);
  bo.bucket_batches = static_cast<int32_t>(cfg.run.bucket_batches);
  // Rank r takes batches r, r + W, ... of the global plan (empty ones at an epoch's end).
  train::FeatureBatchSource source(std::move(features), bo, static_cast<uint64_t>(cfg.run.seed),
                                   std::max(0, ck.tokenizer->special().pad), comm->rank(), comm->world_size());

  auto tokenizer = ck.tokenizer;
  train::Evaluator evaluator;
  if (!dev_ex.empty() && root) {  // rank 0 evaluates the whole dev set; the others wait
    evaluator = [&dev_ex, tokenizer, po, cfg](model::TokenClassifier& m) {
      model::Predictor p(m, tokenizer, po);
      auto set = eval::predict_eval_set(p, dev_ex, cfg.data.dev);
      const auto result = eval::evaluate(set);
      auto metrics = eval::headline_metrics(result);
      metrics.merge(eval::per_type_metrics(result));  // tracked (metrics.jsonl, TensorBoard, MLflow), not logged
      return metrics;
    };
  }
  if (root) {
    fs::create_directories(cfg.run.output_dir);
    write_file_atomic(fs::path(cfg.run.output_dir) / "config.yaml", resolved_yaml);
  }

  train::Trainer trainer(cfg, std::move(ck), source, evaluator, meta, comm.get(), env.local_rank);
  std::unique_ptr<train::MlflowTracker> mlflow;
  if (root && !cfg.track.mlflow_uri.empty()) {
    train::MlflowSettings ms{cfg.track.mlflow_uri, cfg.track.experiment, cfg.track.run_name};
    if (ms.run_name.empty()) ms.run_name = fs::path(cfg.run.output_dir).lexically_normal().filename().string();
    mlflow = std::make_unique<train::MlflowTracker>(ms);
    mlflow->params(train::flatten_yaml(resolved_yaml));
    trainer.on_record([m = mlflow.get()](const json& j) {
      for (const auto& s : train::tracked_scalars(j)) m->metric(s.tag, s.value, s.step);
    });
  }
  if (cfg.loss.class_weights != train::ClassWeights::none || !cfg.loss.class_weight_values.empty())
    trainer.set_class_weights(weights);
  if (!resume.empty()) trainer.resume(resume);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  auto summary = trainer.run([] { return g_stop != 0; });
  comm->shutdown();
  if (!root) return 0;  // rank 0 reports and runs the test evaluation
  json sj = {{"steps", summary.steps}, {"epochs", summary.epochs_completed}, {"seconds", summary.seconds},
             {"train_tokens_per_s", summary.tokens_per_second}, {"best_metric", summary.best_metric},
             {"best_step", summary.best_step}, {"early_stopped", summary.early_stopped},
             {"interrupted", summary.interrupted}, {"best_dir", summary.best_dir.string()},
             {"last_dir", summary.last_dir.string()}};
  if (summary.interrupted) {
    if (mlflow) mlflow->finish("KILLED");
    std::cout << sj.dump(2) << "\n";
    return 0;
  }
  // Raw scores for calibration: the temperatures are applied by the report.
  model::InferenceOverrides raw = io;
  raw.calibrated = false;
  if (!dev_ex.empty() && fs::exists(summary.best_dir)) {  // temperature scaling fitted on dev, kept in best/
    model::LoadOptions dl;
    auto best = model::load_checkpoint(summary.best_dir, dl);
    model::Predictor p(best.model, best.tokenizer, model::inference_options(best.meta, best.config(), raw));
    eval::CalibrationSamples intent, token;
    eval::predict_eval_set(p, dev_ex, cfg.data.dev, &intent, &token);
    const auto report = eval::calibrate_checkpoint(summary.best_dir, intent, token, cfg.data.dev);
    log::info("calibrated " + summary.best_dir.string() + " on dev:\n" + report.format());
    sj["calibration"] = report.to_json();
    for (const char* side : {"intent", "token"})
      if (sj["calibration"].contains(side)) {
        sj["calibration"][side]["before"].erase("bins");
        sj["calibration"][side]["after"].erase("bins");
      }
  }
  if (!test_ex.empty()) {
    model::LoadOptions tl;
    auto best = model::load_checkpoint(summary.best_dir, tl);
    model::Predictor p(best.model, best.tokenizer, model::inference_options(best.meta, best.config(), raw));
    eval::CalibrationSamples intent, token;
    auto result = eval::evaluate(eval::predict_eval_set(p, test_ex, cfg.data.test, &intent, &token));
    const auto& cal = best.meta.calibration;
    const auto report = eval::calibration_report(intent, token, cal ? cal->intent_temperature : 1.0,
                                                 cal ? cal->token_temperature : 1.0, cfg.data.test);
    std::cout << "== test (" << cfg.data.test << ", " << summary.best_dir.string() << ") ==\n"
              << eval::format_result(result) << "\n" << report.format();
    auto tj = eval::result_json(result);
    tj["calibration"] = report.to_json();
    write_file_atomic(fs::path(cfg.run.output_dir) / "test_metrics.json", tj.dump(2) + "\n");
    sj["test"] = eval::headline_metrics(result);
    if (report.intent) {
      sj["test"]["intent_ece_raw"] = report.intent->before.ece;
      sj["test"]["intent_ece"] = report.intent->after.ece;
    }
  }
  if (mlflow) {
    if (sj.contains("test"))
      for (auto it = sj["test"].begin(); it != sj["test"].end(); ++it)
        if (it.value().is_number()) mlflow->metric("test/" + it.key(), it.value().get<double>(), summary.steps);
    mlflow->tag("best_checkpoint", fs::absolute(summary.best_dir).string());
    mlflow->tag("best_step", std::to_string(summary.best_step));
    mlflow->finish("FINISHED");
    sj["mlflow"] = {{"run_id", mlflow->run_id()}, {"failed_calls", mlflow->failed_calls()}};
  }
  write_file_atomic(fs::path(cfg.run.output_dir) / "summary.json", sj.dump(2) + "\n");
  std::cout << sj.dump(2) << "\n";
  return 0;
}

// glibc serves allocations above its mmap threshold (at most 32 MB) with fresh mappings and
// unmaps them on free, so a large tensor allocated on every step is faulted in page by
// page every step: the dense word-embedding gradient (47 MB for MiniLM's 30,522 x 384)
// cost ~12k minor page faults per step. Serve large blocks from the heap and keep freed
// memory there for the next step instead (SNIPS: 1.23M -> 0.25M faults over 80 steps,
// 4-6% more tokens/s, peak RSS +16%; docs/benchmarks.md).
void keep_freed_memory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory();
  CLI::App app{"triage-train: fine-tune a BERT-family token classifier (+ intent) on support data"};
  ConfigFlags cf;
  std::string resume;
  int nproc = 0;
  add_config_flags(app, cf);
  app.add_option("--nproc-per-node,--nproc_per_node", nproc,
                 "start N local processes (ranks) of one data-parallel job, as torchrun does");
  app.add_option("--resume", resume, "continue the run whose output directory (or last/) this is");
  if (auto rc = parse_cli(app, argc, argv)) return *rc;
  return run_main(g_prog, [&] {
    train::TrainConfig cfg;
    config::Schema schema;
    cfg.register_fields(schema);
    schema.load({cf.files, "TRIAGE_TRAIN", cf.sets});
    cfg.validate(false);
    const auto yaml = schema.dump_yaml();
    if (cf.dump) {
      std::cout << yaml;
      return 0;
    }
    if (nproc > 0) {
      if (std::getenv("WORLD_SIZE"))
        throw InputError("--nproc-per-node: WORLD_SIZE is already set (launched by torchrun or SLURM); drop one of them");
      train::LaunchOptions lo;
      lo.nproc = nproc;
      lo.args = train::strip_nproc_arg(argc, argv);
      return train::launch_local(lo);
    }
    const auto env = train::read_dist_env();
    if (env.world_size > 1) {
      g_prog = "triage-train[rank " + std::to_string(env.rank) + "]";
      if (env.rank != 0) log::configure(log::Level::warn, false);  // rank 0 logs for the job
    }
    if (env.rank == 0) std::cerr << "triage-train: resolved config\n" << yaml;
    return run(cfg, yaml, resume, env);
  });
}
