// Loading, preparing, running and decoding for triage-serve (the torch side).
#include "serve/engine.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>

#include <torch/torch.h>

#include "core/content_version.h"
#include "core/error.h"
#include "core/log.h"
#include "data/annotation_formats.h"
#include "data/example.h"
#include "data/utf8.h"
#include "model/checkpoint.h"
#include "model/inference_device.h"
#include "model/inference_options.h"
#include "model/predictor.h"
#include "serve/redact.h"
#include "serve/review_queue.h"

namespace triage::serve {

namespace fs = std::filesystem;

struct InferenceJob::Data {
  std::vector<data::Example> examples;
  std::vector<model::PreparedExample> prepared;
  std::vector<model::Prediction> predictions;
};

InferenceJob::~InferenceJob() = default;

struct ModelSnapshot::Impl {
  std::unique_ptr<model::Predictor> predictor;
};

ModelSnapshot::ModelSnapshot() : impl_(std::make_unique<Impl>()) {}
ModelSnapshot::~ModelSnapshot() = default;

namespace {
int64_t g_intra_op_threads = 0;
}  // namespace

void configure_inference_threads(int64_t intra_op_threads) {
  g_intra_op_threads = intra_op_threads;
  single_threaded_torch();
}

void single_threaded_torch() { at::set_num_threads(1); }

void init_loop_thread() {
  const int n = g_intra_op_threads > 0 ? static_cast<int>(g_intra_op_threads) : at::intraop_default_num_threads();
  at::set_num_threads(n);
  log::info("batching loop started", {{"intra_op_threads", std::to_string(at::get_num_threads())}});
}

std::string default_model_name(const std::string& dir) {
  fs::path p = fs::absolute(fs::path(dir)).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  std::string name = p.filename().string();
  if ((name == "best" || name == "last") && !p.parent_path().filename().empty())
    name = p.parent_path().filename().string();
  return name;
}

std::shared_ptr<const ModelSnapshot> ModelSnapshot::load(const SnapshotOptions& o) {
  std::shared_ptr<ModelSnapshot> s(new ModelSnapshot());
  if (!fs::is_directory(o.dir)) throw InputError("model.dir: " + o.dir + " is not a directory");
  model::LoadOptions lo;
  lo.require_tokenizer = true;
  auto ck = model::load_checkpoint(o.dir, lo);
  if (!ck.report.initialised.empty())
    throw InputError(o.dir + ": has no trained token-classification head (" + ck.report.initialised.front() +
                     " would be initialised at random); serve a checkpoint written by triage-train");
  const auto device = model::parse_device(o.device, "runtime.device");
  const auto placed = model::place_for_inference(*ck.model, device, o.precision, o.packed_weights, "runtime.precision");
  if (device.is_cpu() && o.packed_weights && !placed.packed)
    log::warn("runtime.packed_weights: " + placed.compute_path + "; using torch's composite ops");
  model::InferenceOverrides io;
  io.aggregation = o.aggregation;
  io.decode = o.decode;
  io.decode_key = "decode.mode";
  io.max_tokens = std::min(o.forward_tokens, o.batch_max_tokens);
  io.max_batch_size = static_cast<int32_t>(std::clamp<int64_t>(o.batch_max_size, 1, INT32_MAX));
  const model::PredictOptions po = model::inference_options(ck.meta, ck.config(), io);
  s->impl_->predictor = std::make_unique<model::Predictor>(ck.model, ck.tokenizer, po);
  const auto& schema = s->impl_->predictor->schema();
  s->entity_types_ = schema.entity_types();
  s->intents_ = ck.model->has_intent_head() ? schema.intents() : std::vector<std::string>{};
  s->routing_ = o.routing_file.empty() ? RoutingRules::defaults() : RoutingRules::load_file(o.routing_file);
  s->routing_.validate_labels(s->entity_types_, s->intents_);
  s->dir_ = o.dir;
  s->architecture_ = ck.config().architecture();
  s->packed_ = placed.packed;
  s->compute_path_ = placed.compute_path;
  s->device_ = device.str();
  s->decode_mode_ = data::decode_mode_name(po.decode);
  s->precision_ = placed.precision;
  s->max_seq_len_ = po.windows.max_seq_len;
  s->stride_ = po.windows.stride;
  s->ref_.name = o.name.empty() ? default_model_name(o.dir) : o.name;
  s->ref_.version = file_content_version((fs::path(o.dir) / "model.safetensors").string());
  s->warm_batch_ = std::min<int64_t>(8, o.batch_max_size);
  if (o.warm_up) s->warm_up();
  return s;
}

void ModelSnapshot::warm_up() const {
  std::string full, medium;
  for (int64_t i = 0; i < max_seq_len_; ++i) full += "order ";
  for (int64_t i = 0; i < max_seq_len_ / 4; ++i) medium += "order ";
  const auto t0 = std::chrono::steady_clock::now();
  impl_->predictor->predict({data::make_text_example("w0", "hello")});
  impl_->predictor->predict({data::make_text_example("w1", full)});
  std::vector<data::Example> batch;
  for (int64_t i = 0; i < warm_batch_; ++i) batch.push_back(data::make_text_example("warm", medium));
  impl_->predictor->predict(batch);
  log::info("warm-up done", {{"model", ref_.name},
                             {"ms", std::to_string(std::chrono::duration<double, std::milli>(
                                                       std::chrono::steady_clock::now() - t0)
                                                       .count())}});
}

namespace {

// Keeps the first n content sub-words (and the words they reach) of an example.
void truncate(data::Example& ex, data::EncodedExample& enc, size_t n) {
  if (enc.size() <= n) return;
  const int32_t cut = n == 0 ? 0 : enc.offsets[n - 1].end;
  enc.ids.resize(n);
  enc.offsets.resize(n);
  if (enc.word_ids.size() > n) enc.word_ids.resize(n);
  if (enc.labels.size() > n) enc.labels.resize(n);
  auto it = std::find_if(ex.words.begin(), ex.words.end(), [&](const data::CharRange& w) { return w.start >= cut; });
  ex.words.erase(it, ex.words.end());
}

}  // namespace

std::shared_ptr<InferenceJob> ModelSnapshot::prepare(std::vector<std::pair<std::string, std::string>>* turns,
                                                     std::vector<std::string>* texts,
                                                     const PrepareLimits& limits) const {
  auto job = std::make_shared<InferenceJob>();
  job->snapshot = shared_from_this();
  job->group = this;
  job->turns = turns != nullptr;
  job->data = std::make_unique<InferenceJob::Data>();
  auto& d = *job->data;
  const auto& predictor = *impl_->predictor;
  try {
    if (turns) {
      d.examples.push_back(data::make_turns_example("0", *turns));
    } else {
      d.examples.reserve(texts->size());
      for (size_t i = 0; i < texts->size(); ++i)
        d.examples.push_back(data::make_text_example(std::to_string(i), std::move((*texts)[i])));
    }
  } catch (const InputError& e) {
    throw RequestError(Reason::invalid_utf8, e.what());
  }
  std::vector<data::EncodedExample> encoded;
  encoded.reserve(d.examples.size());
  int64_t total = 0;
  for (const auto& ex : d.examples) {
    encoded.push_back(predictor.encode(ex));
    total += static_cast<int64_t>(encoded.back().size());
  }
  if (total > limits.max_subwords) {
    if (!limits.truncate)
      throw RequestError(Reason::text_too_long, "the request has " + std::to_string(total) + " sub-words after tokenization, the limit is " +
                             std::to_string(limits.max_subwords) +
                             " (limits.max_subwords; limits.truncate=true cuts instead)");
    int64_t budget = limits.max_subwords;
    for (size_t i = 0; i < encoded.size(); ++i) {
      const auto keep = static_cast<size_t>(std::min<int64_t>(budget, static_cast<int64_t>(encoded[i].size())));
      truncate(d.examples[i], encoded[i], keep);
      budget -= static_cast<int64_t>(keep);
    }
    job->truncated = true;
    total = limits.max_subwords;
  }
  job->subwords = total;
  d.prepared.reserve(encoded.size());
  int32_t rows = 0, max_len = 0;
  for (auto& enc : encoded) {
    d.prepared.push_back(predictor.prepare(std::move(enc)));
    rows += static_cast<int32_t>(d.prepared.back().features.size());
    max_len = std::max(max_len, d.prepared.back().max_len());
  }
  job->rows = std::max(1, rows);
  job->max_len = max_len;
  return job;
}

std::shared_ptr<InferenceJob> ModelSnapshot::prepare_route(RouteRequest& request, const PrepareLimits& limits) const {
  if (!request.has_turns) {
    std::vector<std::string> texts;
    texts.push_back(std::move(request.text));
    return prepare(nullptr, &texts, limits);
  }
  std::vector<std::pair<std::string, std::string>> turns;
  turns.reserve(request.turns.size());
  for (auto& t : request.turns) turns.emplace_back(std::move(t.speaker), std::move(t.text));
  return prepare(&turns, nullptr, limits);
}

std::shared_ptr<InferenceJob> ModelSnapshot::prepare_tag(TagRequest& request, const PrepareLimits& limits) const {
  return prepare(nullptr, &request.texts, limits);
}

void ModelSnapshot::run(const std::vector<Job*>& batch) const {
  std::vector<const data::Example*> examples;
  std::vector<const model::PreparedExample*> prepared;
  for (Job* j : batch) {
    auto* job = static_cast<InferenceJob*>(j);
    if (job->snapshot.get() != this) throw Error("batch mixes model snapshots");
    for (size_t i = 0; i < job->data->examples.size(); ++i) {
      examples.push_back(&job->data->examples[i]);
      prepared.push_back(&job->data->prepared[i]);
    }
  }
  auto preds = impl_->predictor->predict_prepared(examples, prepared);
  size_t k = 0;
  for (Job* j : batch) {
    auto& d = *static_cast<InferenceJob*>(j)->data;
    d.predictions.clear();
    for (size_t i = 0; i < d.examples.size(); ++i) d.predictions.push_back(std::move(preds[k++]));
  }
}

namespace {

std::optional<IntentOut> intent_of(const model::Prediction& p, const std::vector<std::string>& intents) {
  if (p.intent < 0 || p.intent_probs.size() != intents.size()) return std::nullopt;
  std::vector<size_t> order(intents.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p.intent_probs[a] > p.intent_probs[b]; });
  IntentOut out;
  out.label = intents[static_cast<size_t>(p.intent)];
  out.score = p.intent_probs[static_cast<size_t>(p.intent)];
  for (size_t i : order) {
    if (static_cast<int32_t>(i) == p.intent) continue;
    if (out.alternatives.size() == 3) break;
    out.alternatives.emplace_back(intents[i], p.intent_probs[i]);
  }
  return out;
}

// Spans of one example as entities: per text (turn 0), or cut at turn boundaries with
// offsets into each turn's text (a span over several turns gives one entity per turn;
// parts in "speaker: " prefixes are dropped).
std::vector<EntityOut> entities_of(const data::Example& ex, const model::Prediction& p,
                                   const std::vector<std::string>& types) {
  std::vector<EntityOut> out;
  if (p.decoded.spans.empty()) return out;
  std::vector<uint32_t> starts;
  data::utf8::code_point_starts(ex.text, starts);
  const auto n = static_cast<int32_t>(starts.size()) - 1;
  auto substr = [&](int32_t b, int32_t e) {
    b = std::clamp(b, 0, n);
    e = std::clamp(e, b, n);
    return ex.text.substr(starts[static_cast<size_t>(b)], starts[static_cast<size_t>(e)] - starts[static_cast<size_t>(b)]);
  };
  for (const auto& sp : p.decoded.spans) {
    const auto& label = types.at(static_cast<size_t>(sp.type));
    if (ex.turns.empty()) {
      out.push_back({label, substr(sp.start, sp.end), sp.start, sp.end, sp.score, 0, std::nullopt});
      continue;
    }
    for (size_t t = 0; t < ex.turns.size(); ++t) {
      const auto& turn = ex.turns[t];
      const int32_t b = std::max(sp.start, turn.offset), e = std::min(sp.end, turn.offset + turn.length);
      if (b >= e) continue;
      out.push_back({label, substr(b, e), b - turn.offset, e - turn.offset, sp.score, static_cast<int32_t>(t), std::nullopt});
    }
  }
  return out;
}

}  // namespace

RouteResponse ModelSnapshot::route_response(const InferenceJob& job, const std::vector<std::string>* redact_labels,
                                            bool explain) const {
  const auto& d = *job.data;
  if (d.predictions.size() != 1 || d.examples.size() != 1) throw Error("route job without its prediction");
  RouteResponse r;
  r.entities = entities_of(d.examples[0], d.predictions[0], entity_types_);
  for (auto& e : r.entities) e.valid = routing_.validate(e.label, e.text);
  r.intent = intent_of(d.predictions[0], intents_);
  RouteInput in;
  in.has_intent = r.intent.has_value();
  if (r.intent) {
    in.intent = r.intent->label;
    in.intent_score = r.intent->score;
    if (!r.intent->alternatives.empty()) in.runner_up_score = r.intent->alternatives.front().second;
  }
  in.entities.reserve(r.entities.size());
  for (const auto& e : r.entities) in.entities.push_back({e.label, e.text, e.score, e.valid});
  std::vector<ExplainStep> steps;
  const auto decision = routing_.route(in, explain ? &steps : nullptr);
  r.route = {decision.queue, decision.reason, decision.fallback, std::nullopt};
  if (explain) {
    RouteExplanation x;
    x.steps = std::move(steps);
    if (r.intent) {
      x.intent_scores.emplace_back(r.intent->label, r.intent->score);
      x.intent_scores.insert(x.intent_scores.end(), r.intent->alternatives.begin(), r.intent->alternatives.end());
    }
    x.model_version = ref_.version;
    x.rules_source = routing_.source();
    x.rules_version = routing_.version();
    r.route.explain = std::move(x);
  }
  if (redact_labels) {
    const auto& ex = d.examples[0];
    if (ex.turns.empty()) {
      r.redacted_text = redact(ex.text, r.entities, 0, *redact_labels);
    } else {
      std::vector<uint32_t> starts;
      data::utf8::code_point_starts(ex.text, starts);
      r.redacted_turns.emplace();
      for (size_t t = 0; t < ex.turns.size(); ++t) {
        const auto& turn = ex.turns[t];
        const auto b = starts[static_cast<size_t>(turn.offset)], e = starts[static_cast<size_t>(turn.offset + turn.length)];
        r.redacted_turns->push_back(
            redact(std::string_view(ex.text).substr(b, e - b), r.entities, static_cast<int32_t>(t), *redact_labels));
      }
    }
  }
  r.model = ref_;
  r.truncated = job.truncated;
  return r;
}

void ModelSnapshot::offer_for_review(const InferenceJob& job, const std::string& request_id, ReviewQueue& queue,
                                     const std::vector<std::string>* redact_labels) const {
  const auto& d = *job.data;
  for (size_t i = 0; i < d.examples.size() && i < d.predictions.size(); ++i) {
    const auto& p = d.predictions[i];
    // decided before anything is built: most messages are not written
    const double intent_conf = p.intent >= 0 ? p.intent_probs[static_cast<size_t>(p.intent)] : 1.0;
    double lowest = 1.0;
    for (const auto& sp : p.decoded.spans) lowest = std::min<double>(lowest, sp.score);
    const char* reason = nullptr;
    if (!queue.wanted(intent_conf, lowest, &reason)) continue;
    data::PreAnnotation pre = model::pre_annotation(p, entity_types_, intents_);
    // Spans on the example's whole text (a transcript's joined "speaker: text" lines); redaction
    // moves them onto the placeholders.
    const auto& ex = d.examples[i];
    std::vector<EntityOut> ents;
    for (size_t k = 0; k < pre.spans.size(); ++k)
      ents.push_back({pre.spans[k].label, "", pre.spans[k].start, pre.spans[k].end, pre.span_scores[k], 0, std::nullopt});
    Redacted r = redact_with_entities(ex.text, ents, 0, redact_labels ? *redact_labels : std::vector<std::string>{});
    data::Example task_ex;
    task_ex.id = request_id + "-" + std::to_string(i);
    task_ex.text = std::move(r.text);
    pre.spans.clear();
    pre.span_scores.clear();
    for (const auto& e : r.entities) {
      pre.spans.push_back({e.start, e.end, e.label});
      pre.span_scores.push_back(e.score);
    }
    auto task = data::labelstudio_task(task_ex, 0, false, &pre, ref_.version);
    task.erase("id");  // Label Studio numbers imported tasks itself
    task["data"]["review_reason"] = reason;
    task["data"]["model"] = ref_.name;
    queue.offer(task.dump());
  }
}

TagResponse ModelSnapshot::tag_response(const InferenceJob& job, const std::vector<std::string>* redact_labels) const {
  const auto& d = *job.data;
  if (d.predictions.size() != d.examples.size()) throw Error("tag job without its predictions");
  TagResponse r;
  r.results.reserve(d.examples.size());
  for (size_t i = 0; i < d.examples.size(); ++i) {
    r.results.push_back({entities_of(d.examples[i], d.predictions[i], entity_types_), intent_of(d.predictions[i], intents_),
                         std::nullopt});
    for (auto& e : r.results.back().entities) e.valid = routing_.validate(e.label, e.text);
    if (redact_labels) r.results.back().redacted_text = redact(d.examples[i].text, r.results.back().entities, 0, *redact_labels);
  }
  r.model = ref_;
  r.truncated = job.truncated;
  return r;
}

InfoResponse ModelSnapshot::info_response(const ServeConfig& cfg) const {
  InfoResponse r;
  r.model = ref_;
  r.dir = dir_;
  r.architecture = architecture_;
  r.precision = precision_;
  r.device = device_;
  r.packed_weights = packed_;
  r.compute_path = compute_path_;
  r.decode_mode = decode_mode_;
  r.max_seq_len = max_seq_len_;
  r.stride = stride_;
  r.entity_labels = entity_types_;
  r.intent_labels = intents_;
  r.max_text_chars = cfg.limits.max_text_chars;
  r.max_subwords = cfg.limits.max_subwords;
  r.truncate = cfg.limits.truncate;
  r.max_texts = cfg.limits.max_texts;
  r.max_turns = cfg.limits.max_turns;
  r.max_body_bytes = cfg.http.max_body_bytes;
  r.batch_max_size = cfg.batch.max_size;
  r.batch_max_tokens = cfg.batch.max_tokens;
  r.batch_max_delay_ms = cfg.batch.max_delay_ms;
  r.batch_max_queue = cfg.batch.max_queue;
  r.routing_source = routing_.source();
  r.queues = routing_.queues();
  r.rules = static_cast<int64_t>(routing_.rule_count());
  return r;
}

}  // namespace triage::serve
