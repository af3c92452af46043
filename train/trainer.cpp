// The fine-tuning loop and its resume state.
#include "train/trainer.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <numeric>
#include <sstream>

#include <ATen/autocast_mode.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/file_io.h"
#include "core/log.h"
#include "model/packed_cpu.h"
#include "model/unpadded.h"
#include "train/grad_sync.h"
#include "train/loss.h"
#include "train/optimizer.h"
#include "train/tensorboard.h"
#include "train/tracked_scalars.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace triage::train {

torch::Device resolve_device(DeviceSetting setting, int local_rank) {
  const torch::Device gpu(torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank));
  if (setting == DeviceSetting::cpu) return torch::kCPU;
  if (setting == DeviceSetting::cuda) {
    if (!torch::cuda::is_available())
      throw InputError("run.device: cuda was asked for but no CUDA device is available");
    return gpu;
  }
  return torch::cuda::is_available() ? gpu : torch::Device(torch::kCPU);
}

namespace {

// bf16 autocast for the forward pass (CUDA, or the CPU where it multiplies bf16 natively).
class Autocast {
 public:
  Autocast(bool on, c10::DeviceType device) : on_(on), device_(device) {
    if (!on_) return;
    at::autocast::set_autocast_enabled(device_, true);
    at::autocast::set_autocast_dtype(device_, at::kBFloat16);
  }
  ~Autocast() {
    if (!on_) return;
    at::autocast::set_autocast_enabled(device_, false);
    at::autocast::clear_cache();
  }

 private:
  bool on_;
  c10::DeviceType device_;
};

std::string fmt_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const auto t = static_cast<int64_t>(s);
  char buf[32];
  if (t >= 3600) {
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  }
  return buf;
}

}  // namespace

// What one optimizer step did, summed over the ranks (the identity in one process).
struct StepResult {
  double token_loss = 0;   // the step's mean token loss
  double intent_loss = 0;  // the step's mean intent loss (0 without intents)
  double tokens = 0;       // non-padding sub-words of the step
  double lr = 0;
};

// Timing and the loss window between two train records.
struct Progress {
  using Clock = std::chrono::steady_clock;
  Clock::time_point run_start, window_start;
  int64_t first_step = 0;
  bool tty = false;
  double tokens_this_run = 0;
  double loss = 0, token = 0, intent = 0, tokens = 0;
  int64_t steps = 0;
  void start(int64_t step, bool on_tty) {
    run_start = window_start = Clock::now();
    first_step = step;
    tty = on_tty;
  }
  void reset_window(Clock::time_point now) {
    loss = token = intent = tokens = 0;
    steps = 0;
    window_start = now;
  }
  double run_seconds() const { return std::chrono::duration<double>(Clock::now() - run_start).count(); }
};

struct Trainer::Impl {
  TrainConfig cfg;
  model::Checkpoint ck;
  const BatchSource& train;
  Evaluator dev;
  model::CheckpointMeta meta;
  std::unique_ptr<Communicator> own_comm;  // one process: the single-process communicator
  Communicator* comm = nullptr;
  bool root = true;
  int world = 1;
  std::unique_ptr<GradSync> sync;  // with a process group only (see make_communicator)
  torch::Device device{torch::kCPU};
  bool bf16 = false;
  std::unique_ptr<torch::optim::AdamW> opt;
  std::unique_ptr<LrSchedule> schedule;
  LossSettings loss;
  // position
  int64_t step = 0, epoch = 0, next_batch = 0;
  double best = -1;
  int64_t best_step = -1, bad_evals = 0;
  int64_t tokens_seen = 0;
  double elapsed_before = 0;  // seconds in earlier (interrupted) runs
  fs::path out_dir;
  std::ofstream metrics;
  std::unique_ptr<TensorBoardWriter> tb;  // track.tensorboard, rank 0
  std::function<void(const json&)> sink;  // Trainer::on_record
  Progress progress;

  Impl(TrainConfig c, model::Checkpoint k, const BatchSource& t, Evaluator d, model::CheckpointMeta m)
      : cfg(std::move(c)), ck(std::move(k)), train(t), dev(std::move(d)), meta(std::move(m)) {}

  Communicator::Timeout eval_timeout() const {
    return Communicator::Timeout(static_cast<int64_t>(cfg.dist.eval_timeout_s * 1000));
  }

  // Element-wise sum over ranks of a few host numbers (the identity in one process).
  std::vector<double> all_sum(std::vector<double> v, Communicator::Timeout t = Communicator::Timeout{0}) {
    if (world == 1) return v;
    auto x = torch::tensor(v, torch::kDouble).to(device);
    std::vector<torch::Tensor> xs{x};
    comm->all_reduce_sum(xs, t);
    auto c = x.to(torch::kCPU).contiguous();
    return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
  }

  // Weight of a batch in the token loss's mean: its labelled sub-words, or the sum of their
  // class weights (cross-entropy's weighted-mean denominator).
  double token_denominator(const TensorBatch& b) const {
    if (!b.labels.defined() || b.labels.numel() == 0) return 0;
    auto m = b.labels.ne(-100);
    if (!loss.class_weights.defined()) return static_cast<double>(m.sum().item<int64_t>());
    return loss.class_weights.to(torch::kCPU, torch::kFloat).index({b.labels.masked_select(m)}).sum().item<double>();
  }
  static double intent_count(const TensorBatch& b) {
    if (!b.intents.defined() || b.intents.numel() == 0) return 0;
    return static_cast<double>(b.intents.ne(-100).sum().item<int64_t>());
  }

  // This rank's generator states: [cpu] or [cpu, cuda], uint8.
  std::vector<torch::Tensor> rng_state() const {
    auto cpu_gen = at::detail::getDefaultCPUGenerator();
    torch::Tensor cpu_state;
    {
      std::lock_guard<std::mutex> lock(cpu_gen.mutex());
      cpu_state = cpu_gen.get_state();
    }
    std::vector<torch::Tensor> rng{cpu_state};
    if (device.is_cuda()) {
      auto g = at::globalContext().defaultGenerator(device);
      std::lock_guard<std::mutex> lock(g.mutex());
      rng.push_back(g.get_state());
    }
    return rng;
  }

  // Every rank's generator states, indexed by rank (a collective: all ranks call it).
  std::vector<std::vector<torch::Tensor>> gather_rng() {
    auto mine = rng_state();
    if (world == 1) return {mine};
    std::vector<int64_t> lens;
    std::vector<torch::Tensor> parts;
    for (const auto& t : mine) {
      lens.push_back(t.numel());
      parts.push_back(t.reshape({-1}).to(torch::kInt));
    }
    auto row = torch::cat(parts);
    auto all = torch::zeros({world, row.numel()}, torch::kInt);
    all[comm->rank()].copy_(row);
    auto dev_all = all.to(device);
    std::vector<torch::Tensor> xs{dev_all};
    comm->all_reduce_sum(xs);
    all = dev_all.to(torch::kCPU);
    std::vector<std::vector<torch::Tensor>> out(static_cast<size_t>(world));
    for (int r = 0; r < world; ++r) {
      int64_t off = 0;
      for (int64_t n : lens) {
        out[static_cast<size_t>(r)].push_back(all[r].narrow(0, off, n).to(torch::kByte).clone());
        off += n;
      }
    }
    return out;
  }

  int64_t steps_per_epoch(int64_t e) const {
    const int64_t n = train.batches_in_epoch(e);
    return (n + cfg.optim.grad_accum - 1) / cfg.optim.grad_accum;
  }

  int64_t total_steps() const {
    if (cfg.run.max_steps > 0) return cfg.run.max_steps;
    int64_t total = 0;
    for (int64_t e = 0; e < cfg.run.epochs; ++e) total += steps_per_epoch(e);
    return total;
  }

  // elapsed_s: training seconds so far, earlier (interrupted) runs included.
  json state_json(double elapsed_s) const {
    return {{"step", step},           {"epoch", epoch},         {"next_batch", next_batch},
            {"best_metric", best},    {"best_step", best_step}, {"bad_evals", bad_evals},
            {"tokens_seen", tokens_seen}, {"elapsed_s", elapsed_s},
            {"seed", cfg.run.seed},   {"grad_accum", cfg.optim.grad_accum}, {"world_size", world}};
  }

  // rng: every rank's generator states (rng.pt is rank 0's, rng-rank-R.pt rank R's). The
  // optimizer state is the same on every rank (they apply identical summed gradients).
  void save_state(const fs::path& dir, double elapsed_s, const std::vector<std::vector<torch::Tensor>>& rng) {
    fs::create_directories(dir);
    torch::save(*opt, (dir / "optimizer.pt").string());
    for (size_t r = 0; r < rng.size(); ++r)
      torch::save(rng[r], (dir / (r == 0 ? std::string("rng.pt") : "rng-rank-" + std::to_string(r) + ".pt")).string());
    std::ofstream(dir / "state.json") << state_json(elapsed_s).dump(2) << "\n";
  }

  void load_state(const fs::path& dir) {
    for (const char* f : {"optimizer.pt", "rng.pt", "state.json"})
      if (!fs::exists(dir / f)) throw InputError(dir.string() + ": missing " + f + " (not a triage training state)");
    json s;
    try {
      s = json::parse(std::ifstream(dir / "state.json"));
      step = s.at("step");
      epoch = s.at("epoch");
      next_batch = s.at("next_batch");
      best = s.at("best_metric");
      best_step = s.at("best_step");
      bad_evals = s.at("bad_evals");
      tokens_seen = s.at("tokens_seen");
      elapsed_before = s.at("elapsed_s");
      if (s.at("grad_accum").get<int64_t>() != cfg.optim.grad_accum)
        throw InputError((dir / "state.json").string() + ": grad_accum was " + s.at("grad_accum").dump() +
                         ", config says " + std::to_string(cfg.optim.grad_accum) + ": resume needs the same value");
      const int64_t saved_world = s.value("world_size", int64_t{1});
      if (saved_world != world)
        throw InputError((dir / "state.json").string() + ": the run had " + std::to_string(saved_world) +
                         " processes, this one has " + std::to_string(world) + ": resume needs the same world size");
      if (s.at("seed").get<int64_t>() != cfg.run.seed)
        throw InputError((dir / "state.json").string() + ": run.seed was " + s.at("seed").dump() + ", config says " +
                         std::to_string(cfg.run.seed) + ": resume needs the same seed");
    } catch (const json::exception& e) {
      throw InputError((dir / "state.json").string() + ": " + e.what());
    }
    torch::load(*opt, (dir / "optimizer.pt").string(), device);
    const fs::path rng_file = dir / (comm->rank() == 0 ? std::string("rng.pt") : "rng-rank-" + std::to_string(comm->rank()) + ".pt");
    if (!fs::exists(rng_file)) throw InputError(rng_file.string() + ": missing (this rank's generator state)");
    std::vector<torch::Tensor> rng;
    torch::load(rng, rng_file.string());
    auto cpu_gen = at::detail::getDefaultCPUGenerator();
    {
      std::lock_guard<std::mutex> lock(cpu_gen.mutex());
      cpu_gen.set_state(rng.at(0));
    }
    if (device.is_cuda() && rng.size() > 1) {
      auto g = at::globalContext().defaultGenerator(device);
      std::lock_guard<std::mutex> lock(g.mutex());
      g.set_state(rng.at(1));
    }
  }

  model::CheckpointMeta checkpoint_meta(const std::string& kind) const {
    model::CheckpointMeta m = meta;
    m.checkpoint = kind;
    m.step = step;
    m.epoch = epoch;
    if (best_step >= 0) m.best = model::CheckpointMeta::Best{cfg.run.metric, best, best_step};
    return m;
  }

  // A collective: every rank calls it at the same step; rank 0 writes.
  void save_last(double elapsed_s) {
    const auto rng = gather_rng();
    if (root)
      model::save_checkpoint(out_dir / "last", ck.model, ck.tokenizer.get(), checkpoint_meta("last"),
                             [&](const fs::path& tmp) { save_state(tmp / "training_state", elapsed_s, rng); });
    if (world > 1) comm->barrier(eval_timeout());
  }

  void record(const json& j) {
    if (!root) return;
    metrics << j.dump() << "\n";
    metrics.flush();
    if (sink) sink(j);
    if (tb)
      for (const auto& s : tracked_scalars(j)) tb->scalar(s.tag, s.step, s.value);
  }

  // metrics.jsonl keeps the records up to the resumed step; later ones are appended.
  void open_metrics() {
    if (!root) return;
    if (cfg.track.tensorboard) tb = std::make_unique<TensorBoardWriter>(out_dir / "tb");
    const fs::path metrics_path = out_dir / "metrics.jsonl";
    fs::create_directories(out_dir);
    std::vector<std::string> keep;
    if (step > 0 && fs::exists(metrics_path)) {
      std::ifstream in(metrics_path);
      for (std::string line; std::getline(in, line);) {
        try {
          if (json::parse(line).value("step", int64_t{0}) <= step) keep.push_back(line);
        } catch (const json::exception&) {
        }
      }
    }
    std::string text;
    for (const auto& l : keep) text += l + "\n";
    write_file_atomic(metrics_path, text);
    metrics.open(metrics_path, std::ios::app);
  }

  // One optimizer step: run.grad_accum micro-batches of this rank (fewer at an epoch's end)
  // forward and backward, each micro-batch's mean losses weighted by its share of the whole
  // step's labelled sub-words and utterances (all ranks); gradients summed over the ranks,
  // clipped, AdamW; the position advanced (n: batches in the epoch the loop is in). Returns
  // the step's losses and tokens, all ranks.
  // A micro-batch's forward and the labels in its logits' layout: padded, or (run.packing)
  // on the real tokens only. The CRF needs its rows apart: its logits are padded back.
  std::pair<model::EncoderOutput, torch::Tensor> forward_batch(const TensorBatch& b) {
    if (!cfg.run.packing)
      return {ck.model->forward(b.input_ids.to(device), b.attention_mask.to(device)), b.labels.to(device)};
    const auto host = model::unpad_batch(b.input_ids, b.attention_mask);
    const auto u = host.to(device);
    auto out = ck.model->forward_unpadded(u);
    if (ck.model->has_crf()) {
      out.token_logits = model::pad_tokens(out.token_logits, u);
      return {out, b.labels.slice(1, 0, u.max_len).to(device)};
    }
    return {out, model::unpad_tokens(b.labels.unsqueeze(-1), host).squeeze(-1).to(device)};
  }

  StepResult optimizer_step(int64_t n) {
    const int64_t group = std::min<int64_t>(cfg.optim.grad_accum, n - next_batch);
    std::vector<TensorBatch> micro;
    std::vector<double> tok_w, int_w;
    double real_tokens = 0;
    int64_t last_nonempty = -1;
    for (int64_t i = 0; i < group; ++i) {
      micro.push_back(train.batch(epoch, next_batch + i));
      const auto& b = micro.back();
      if (b.input_ids.defined() && b.input_ids.numel() > 0) last_nonempty = i;
      tok_w.push_back(token_denominator(b));
      int_w.push_back(intent_count(b));
      real_tokens += static_cast<double>(b.tokens);
    }
    const auto totals = all_sum({std::accumulate(tok_w.begin(), tok_w.end(), 0.0),
                                 std::accumulate(int_w.begin(), int_w.end(), 0.0), real_tokens});
    const double step_token_weight = totals[0], step_intents = totals[1], step_tokens = totals[2];
    double step_token = 0, step_intent = 0;  // this rank's share of the step's mean losses
    for (int64_t i = 0; i <= last_nonempty; ++i) {
      auto& batch = micro[static_cast<size_t>(i)];
      if (batch.input_ids.numel() == 0) continue;  // an empty shard batch: no gradient
      if (sync && i == last_nonempty) sync->arm();
      const double token_share = step_token_weight > 0 ? tok_w[static_cast<size_t>(i)] / step_token_weight : 0.0;
      const double intent_share = step_intents > 0 ? int_w[static_cast<size_t>(i)] / step_intents : 0.0;
      LossParts parts;
      {
        Autocast ac(bf16, device.type());
        auto [out, labels] = forward_batch(batch);
        const auto intents = batch.intents.defined() ? batch.intents.to(device) : torch::Tensor();
        parts = compute_loss(out.token_logits, labels, out.intent_logits, intents, loss, token_share, intent_share);
      }
      step_token += token_share * parts.token;
      step_intent += intent_share * parts.intent;
      parts.total.backward();
    }
    if (sync) sync->finish();  // summed gradients of the global step on every rank
    if (cfg.optim.max_grad_norm > 0) torch::nn::utils::clip_grad_norm_(ck.model->parameters(), cfg.optim.max_grad_norm);
    StepResult r;
    r.lr = cfg.optim.lr * schedule->factor(step);
    set_lr(*opt, r.lr, cfg.optim.crf_lr_multiplier);
    opt->step();
    opt->zero_grad();
    ++step;
    next_batch += group;
    if (next_batch >= n) {
      next_batch = 0;
      ++epoch;
    }
    const auto losses = all_sum({step_token, step_intent});
    r.token_loss = losses[0];
    r.intent_loss = losses[1];
    r.tokens = step_tokens;
    tokens_seen += static_cast<int64_t>(step_tokens);
    return r;
  }

  // The progress line (every step on a terminal, else with each record) and a metrics.jsonl
  // train record every run.log_every steps, averaged over the steps since the last one.
  void report_progress(const StepResult& r) {
    auto& w = progress;
    w.loss += r.token_loss + loss.intent_weight * r.intent_loss;
    w.token += r.token_loss;
    w.intent += r.intent_loss;
    w.tokens += r.tokens;
    ++w.steps;
    w.tokens_this_run += r.tokens;
    const int64_t total = schedule->total_steps();
    const auto now = std::chrono::steady_clock::now();
    const double run_s = std::chrono::duration<double>(now - w.run_start).count();
    const bool log_step = step % std::max<int64_t>(1, cfg.run.log_every) == 0;
    if (root && (log_step || step == total || w.tty)) {
      const double win_s = std::chrono::duration<double>(now - w.window_start).count();
      const double tps = win_s > 0 ? w.tokens / win_s : 0;
      const double steps = static_cast<double>(std::max<int64_t>(1, w.steps));
      const double avg = w.loss / steps;
      const double eta = run_s / static_cast<double>(std::max<int64_t>(1, step - w.first_step)) *
                         static_cast<double>(total - step);
      if (log_step || step == total) {
        record({{"type", "train"}, {"step", step}, {"epoch", epoch}, {"loss", avg}, {"token_loss", w.token / steps},
                {"intent_loss", w.intent / steps}, {"lr", r.lr}, {"tokens_per_s", tps},
                {"elapsed_s", elapsed_before + run_s}});
      }
      char line[256];
      const int width = 24;
      const int filled = static_cast<int>(width * static_cast<double>(step) / static_cast<double>(total));
      std::string bar(static_cast<size_t>(filled), '#');
      bar.resize(width, '.');
      std::snprintf(line, sizeof line, "step %ld/%ld [%s] loss %.4f lr %.2e %.0f tok/s ETA %s", step, total,
                    bar.c_str(), avg, r.lr, tps, fmt_duration(eta).c_str());
      if (w.tty) {
        std::fprintf(stderr, "\r%s\033[K", line);
        if (step == total) std::fprintf(stderr, "\n");
      } else {
        log::info(line);
      }
    }
    if (log_step) w.reset_window(now);
  }

  // After a step: the dev evaluation when due (run.eval_every, else each epoch), early
  // stopping and stop requests agreed by every rank, and last/ with the resume state after
  // every evaluation, epoch end and the end. Returns whether training stops.
  bool after_step(const std::function<bool()>& should_stop, TrainSummary& summary) {
    const bool epoch_end = next_batch == 0;
    const bool do_eval = cfg.run.eval_every > 0 ? (step % cfg.run.eval_every == 0) : epoch_end;
    if (progress.tty && do_eval) std::fprintf(stderr, "\n");
    bool early = do_eval && evaluate();
    bool stop_asked = should_stop && should_stop();
    if (world > 1) {  // agree: rank 0's early-stop verdict, any rank's stop request
      const auto votes =
          all_sum({early ? 1.0 : 0.0, stop_asked ? 1.0 : 0.0}, do_eval ? eval_timeout() : Communicator::Timeout{0});
      const double early_votes = votes[0], stop_votes = votes[1];
      early = early_votes > 0;
      stop_asked = stop_votes > 0;
    }
    bool stop = false;
    if (early) {
      if (root)
        log::info("early stopping: no improvement of " + cfg.run.metric + " in " + std::to_string(bad_evals) +
                  " evaluations");
      summary.early_stopped = true;
      stop = true;
    }
    if (step >= schedule->total_steps()) stop = true;
    if (!stop && stop_asked) {
      if (root)
        log::info("stopping at step " + std::to_string(step) + " on request; resume with --resume " + out_dir.string());
      summary.interrupted = true;
      stop = true;
    }
    if (do_eval || epoch_end || stop) save_last(elapsed_before + progress.run_seconds());
    return stop;
  }

  // Rank 0 only (the others return false at once and wait for its verdict). Returns true
  // when training should stop early.
  bool evaluate() {
    if (!dev || !root) return false;
    ck.model->eval();
    std::map<std::string, double> m;
    {
      torch::NoGradGuard ng;
      m = dev(ck.model);
    }
    ck.model->train();
    json r = {{"type", "eval"}, {"step", step}, {"epoch", epoch}};
    for (const auto& [k, v] : m) r[k] = v;
    record(r);
    std::string line = "eval step " + std::to_string(step);
    for (const auto& [k, v] : m)
      if (k.find('/') == std::string::npos) line += " " + k + "=" + std::to_string(v);
    log::info(line);
    auto it = m.find(cfg.run.metric);
    if (it == m.end()) throw Error("evaluation did not report run.metric '" + cfg.run.metric + "'");
    if (it->second > best) {
      best = it->second;
      best_step = step;
      bad_evals = 0;
      model::save_checkpoint(out_dir / "best", ck.model, ck.tokenizer.get(), checkpoint_meta("best"));
      log::info("new best " + cfg.run.metric + "=" + std::to_string(best) + ": saved " + (out_dir / "best").string());
      return false;
    }
    ++bad_evals;
    return cfg.run.patience > 0 && bad_evals >= cfg.run.patience;
  }
};

Trainer::Trainer(TrainConfig config, model::Checkpoint ck, const BatchSource& train, Evaluator dev, model::CheckpointMeta meta,
                 Communicator* comm, int local_rank)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(ck), train, std::move(dev), std::move(meta))) {
  auto& I = *impl_;
  if (!comm) {
    I.own_comm = make_single_process();
    comm = I.own_comm.get();
  }
  I.comm = comm;
  I.root = comm->is_root();
  I.world = comm->world_size();
  if (I.cfg.optim.grad_accum < 1) throw InputError("optim.grad_accum: expected >= 1, found " + std::to_string(I.cfg.optim.grad_accum));
  if (I.cfg.run.threads > 0) torch::set_num_threads(static_cast<int>(I.cfg.run.threads));
  // libtorch seeds its default generators nondeterministically per process: run.seed
  // makes dropout (and anything else drawn from them) repeatable. resume() restores the
  // generators' exact state afterwards.
  // Rank r draws from seed + r: dropout masks differ between ranks as between batches.
  torch::manual_seed(static_cast<uint64_t>(I.cfg.run.seed + comm->rank()));
  I.device = resolve_device(I.cfg.run.device, local_rank);
  if (I.world > 1 && comm->backend() == "gloo" && I.device.is_cuda())
    throw InputError("dist.backend: gloo runs on CPU here; use nccl (or auto) with run.device cuda, or run.device cpu");
  // auto: bf16 on CUDA, fp32 on the CPU; bf16 on the CPU is opt-in where it is native.
  I.bf16 = I.cfg.run.precision == Precision::bf16 || (I.device.is_cuda() && I.cfg.run.precision == Precision::automatic);
  if (I.bf16 && I.device.is_cpu() && !model::cpu_has_native_bf16())
    throw InputError("run.precision: bf16 on the CPU needs native bf16 products (AVX512-BF16 or AMX), which this "
                     "CPU lacks; use fp32 (or auto)");
  I.ck.model->to(I.device);
  I.ck.model->train();
  OptimizerSettings os{I.cfg.optim.lr, I.cfg.optim.weight_decay, I.cfg.optim.beta1, I.cfg.optim.beta2, I.cfg.optim.eps,
                       I.cfg.optim.crf_lr_multiplier};
  I.opt = make_adamw(*I.ck.model, os);
  const int64_t total = I.total_steps();
  const int64_t warmup = I.cfg.optim.warmup_steps >= 0
                             ? I.cfg.optim.warmup_steps
                             : static_cast<int64_t>(std::ceil(I.cfg.optim.warmup_ratio * static_cast<double>(total)));
  I.schedule = std::make_unique<LrSchedule>(I.cfg.optim.schedule, warmup, total);
  I.loss.intent_weight = I.cfg.loss.intent_weight;
  I.loss.label_smoothing = I.cfg.loss.label_smoothing;
  I.ck.model->set_kernels(I.cfg.model.kernels);  // the forward and the token loss alike
  I.loss.kernels = I.cfg.model.kernels;
  if (I.ck.model->has_crf()) I.loss.crf = I.ck.model->crf.get();
  I.out_dir = I.cfg.run.output_dir;
  if (comm->backend() != "single") {  // a process group, even of one rank (see make_communicator)
    std::vector<torch::Tensor> params;
    for (auto& p : I.ck.model->parameters())
      if (p.requires_grad()) params.push_back(p);
    const auto bucket_bytes = static_cast<int64_t>(I.cfg.dist.bucket_mb * 1024 * 1024);
    I.sync = std::make_unique<GradSync>(*comm, std::move(params), bucket_bytes, I.cfg.dist.overlap);
    if (I.root)
      log::info(comm->backend() + ": " + std::to_string(I.world) + " ranks, " + std::to_string(I.sync->num_buckets()) +
                " gradient buckets (dist.bucket_mb " + json(I.cfg.dist.bucket_mb).dump() + ")" +
                (I.cfg.dist.overlap ? " (overlapped with backward)" : " (after backward)"));
  }
}

Trainer::~Trainer() = default;

model::TokenClassifier& Trainer::model() { return impl_->ck.model; }

void Trainer::on_record(std::function<void(const json&)> sink) { impl_->sink = std::move(sink); }

void Trainer::set_class_weights(const std::vector<float>& weights) {
  if (weights.empty()) {
    impl_->loss.class_weights = torch::Tensor();
    return;
  }
  impl_->loss.class_weights = torch::tensor(weights, torch::kFloat);
}
torch::Device Trainer::device() const { return impl_->device; }

void Trainer::resume(const fs::path& dir) {
  auto& I = *impl_;
  fs::path last = dir;
  if (fs::exists(dir / "last" / "training_state")) last = dir / "last";
  if (!fs::exists(last / "training_state"))
    throw InputError(dir.string() + ": no training state (expected " + (dir / "last" / "training_state").string() + ")");
  model::LoadOptions lo;
  lo.require_tokenizer = false;
  auto saved = model::load_checkpoint(last, lo);
  if (saved.config().labels != I.ck.config().labels || saved.config().intent_labels != I.ck.config().intent_labels)
    throw InputError(last.string() + ": its labels differ from the training data's label schema; resume needs the same data");
  {
    torch::NoGradGuard ng;
    auto src = saved.model->named_parameters(true);
    for (auto& item : I.ck.model->named_parameters(true)) item.value().copy_(src[item.key()].to(I.device));
  }
  I.load_state(last / "training_state");
  log::info("resumed from " + last.string() + " at step " + std::to_string(I.step) + " (epoch " +
            std::to_string(I.epoch) + ", batch " + std::to_string(I.next_batch) + ")");
}

TrainSummary Trainer::run(const std::function<bool()>& should_stop) {
  auto& I = *impl_;
  I.open_metrics();
  if (I.world > 1) {  // every rank starts from rank 0's weights
    torch::NoGradGuard ng;
    std::vector<torch::Tensor> params;
    for (auto& p : I.ck.model->parameters()) params.push_back(p.detach());
    I.comm->broadcast(params, 0);
  }
  I.progress.start(I.step, I.root && ::isatty(STDERR_FILENO));
  TrainSummary summary;
  bool stop = I.step >= I.schedule->total_steps();
  while (!stop && I.epoch < I.cfg.run.epochs) {
    const int64_t n = I.train.batches_in_epoch(I.epoch);
    while (!stop && I.next_batch < n) {
      const StepResult r = I.optimizer_step(n);
      I.report_progress(r);
      stop = I.after_step(should_stop, summary);
    }
  }
  const double secs = I.progress.run_seconds();
  summary.steps = I.step;
  summary.epochs_completed = I.epoch;
  summary.best_metric = I.best;
  summary.best_step = I.best_step;
  summary.seconds = secs;
  summary.tokens_per_second = secs > 0 ? I.progress.tokens_this_run / secs : 0;
  summary.last_dir = I.out_dir / "last";
  summary.best_dir = I.best_step >= 0 ? I.out_dir / "best" : summary.last_dir;
  if (I.all_sum({I.root && !fs::exists(summary.last_dir) ? 1.0 : 0.0})[0] > 0) I.save_last(I.elapsed_before + secs);
  I.record({{"type", "summary"}, {"step", I.step}, {"seconds", secs}, {"tokens_per_s", summary.tokens_per_second},
            {"best_metric", I.best}, {"best_step", I.best_step}, {"early_stopped", summary.early_stopped}});
  return summary;
}

}  // namespace triage::train
