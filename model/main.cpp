// triage-model: inspect, convert, tag with and time a checkpoint directory.
//   triage-model info    --model DIR
//   triage-model tag     --model DIR [--aggregation first|average|max] [--device D] TEXT...
//   triage-model convert --model DIR --out DIR [--labels ...] [--intents ...]
//   triage-model bench   --model DIR --batch B --seq S [--threads T] [--iters N] [--warmup W] [--cpu-path packed|torch]
//                        [--device cpu|cuda|cuda:N] [--precision auto|fp32|bf16|int8|fp16]
//                        [--text MESSAGE]   (Predictor::predict on MESSAGE instead: tokenize to decode)
// Exit codes: 0 ok, 2 bad input or usage, 1 internal failure.
#include <algorithm>
#include <cmath>
#include <chrono>
#include <iostream>
#include <numeric>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "core/cli.h"
#include "core/content_version.h"
#include "core/error.h"
#include "core/run_main.h"
#include "data/annotation_formats.h"
#include "data/example.h"
#include "data/readers.h"
#include "data/writers.h"
#include "model/checkpoint.h"
#include "model/inference_device.h"
#include "model/inference_options.h"
#include "model/predictor.h"

using namespace triage;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> split_csv(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

model::LoadOptions options_from(const std::string& labels, const std::string& intents, bool need_tok) {
  model::LoadOptions o;
  o.require_tokenizer = need_tok;
  if (!labels.empty()) o.labels = split_csv(labels);
  if (!intents.empty()) o.intent_labels = split_csv(intents);
  return o;
}

// Code-point substring of a UTF-8 string.
std::string cp_substr(const std::string& s, int32_t begin, int32_t end) {
  std::string out;
  int32_t cp = 0;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    if (cp >= begin && cp < end) out.append(s, i, len);
    i += len;
    ++cp;
  }
  return out;
}

int cmd_info(const std::string& dir) {
  auto ck = model::load_checkpoint(dir, options_from("", "", false));
  const auto& c = ck.config();
  ck.model->eval();
  ck.model->pack_for_cpu_inference();  // as triage-serve: to report the CPU path it takes
  int64_t params = 0;
  for (const auto& p : ck.model->parameters()) params += p.numel();
  nlohmann::json j = {
      {"model_type", c.model_type},
      {"architecture", c.architecture()},
      {"layers", c.num_hidden_layers},
      {"hidden_size", c.hidden_size},
      {"heads", c.num_attention_heads},
      {"vocab_size", c.vocab_size},
      {"parameters", params},
      {"weights_dtype", ck.report.weights_dtype},
      {"cpu_compute_path", ck.model->cpu_compute_path()},
      {"labels", c.labels},
      {"intent_labels", c.intent_labels},
      {"tokenizer", ck.tokenizer ? ck.tokenizer->kind() : "none"},
      {"initialised_heads", ck.report.initialised},
      {"unused_tensors", ck.report.unused},
  };
  std::cout << j.dump(2) << "\n";
  return 0;
}

int cmd_tag(const std::string& dir, const std::string& labels, const std::vector<std::string>& texts,
            const std::string& aggregation, const std::string& device) {
  auto ck = model::load_checkpoint(dir, options_from(labels, "", true));
  // prepacked oneDNN weights on the CPU (torch's ops where it can't), or the GPU
  model::place_for_inference(*ck.model, model::parse_device(device, "--device"), "auto", true, "--precision");
  model::InferenceOverrides io;
  auto agg = data::parse_aggregation(aggregation);
  if (!agg) throw InputError("--aggregation: expected first, average or max, found '" + aggregation + "'");
  io.aggregation = *agg;
  const model::PredictOptions po = model::inference_options(ck.meta, ck.config(), io);
  model::Predictor predictor(ck.model, ck.tokenizer, po);
  std::vector<data::Example> examples;
  for (size_t i = 0; i < texts.size(); ++i) examples.push_back(data::make_text_example(std::to_string(i), texts[i]));
  const auto preds = predictor.predict(examples);
  const auto& schema = predictor.schema();
  for (size_t i = 0; i < texts.size(); ++i) {
    nlohmann::json ents = nlohmann::json::array();
    for (const auto& sp : preds[i].decoded.spans)
      ents.push_back({{"label", schema.entity_types()[static_cast<size_t>(sp.type)]},
                      {"text", cp_substr(texts[i], sp.start, sp.end)},
                      {"start", sp.start},
                      {"end", sp.end},
                      {"score", std::round(sp.score * 1e4) / 1e4}});
    nlohmann::json j = {{"text", texts[i]}, {"entities", ents}};
    if (preds[i].intent >= 0)
      j["intent"] = {{"label", schema.intents()[static_cast<size_t>(preds[i].intent)]},
                     {"score", std::round(preds[i].intent_probs[static_cast<size_t>(preds[i].intent)] * 1e4) / 1e4}};
    std::cout << j.dump(2) << "\n";
  }
  return 0;
}

// tag --data: every example of a data set, written as Label Studio tasks with the model's
// predictions (pre-annotation) or as triage JSONL with the predicted labels.
int cmd_tag_data(const std::string& dir, const std::string& data_path, const std::string& format,
                 const std::string& output, const std::string& output_format, const std::string& aggregation,
                 const std::string& device) {
  auto ck = model::load_checkpoint(dir, options_from("", "", true));
  model::place_for_inference(*ck.model, model::parse_device(device, "--device"), "auto", true, "--precision");
  model::InferenceOverrides io;
  io.aggregation = *data::parse_aggregation(aggregation);
  model::Predictor predictor(ck.model, ck.tokenizer, model::inference_options(ck.meta, ck.config(), io));
  std::optional<data::Format> fmt;
  if (!format.empty()) fmt = data::parse_format(format);
  std::vector<data::Example> examples;
  for (const auto& src : data::find_sources(data_path, fmt))
    for (auto& e : data::read_all(src.path, src.format)) examples.push_back(std::move(e));
  const auto preds = predictor.predict(examples);
  const auto& schema = predictor.schema();
  std::vector<data::PreAnnotation> pre;
  std::vector<data::Example> tagged = examples;
  for (size_t i = 0; i < examples.size(); ++i) {
    pre.push_back(model::pre_annotation(preds[i], schema.entity_types(), schema.intents()));
    tagged[i].entities = pre.back().spans;
    tagged[i].intent = pre.back().intent;
  }
  data::WriteReport report;
  if (output_format == "labelstudio") {
    const std::string version = file_content_version((fs::path(dir) / "model.safetensors").string());
    data::write_labelstudio_predictions(output, examples, pre, version, report);
  } else {
    data::write_examples(output, *data::parse_format(output_format), tagged, {}, report);
  }
  std::cerr << "triage-model: tagged " << examples.size() << " examples -> " << output << " (" << output_format << ")\n";
  for (const auto& w : report.warnings()) std::cerr << "warning: " << w << "\n";
  return 0;
}

int cmd_convert(const std::string& dir, const std::string& out, const std::string& labels,
                const std::string& intents) {
  auto ck = model::load_checkpoint(dir, options_from(labels, intents, true));
  model::CheckpointMeta meta;
  meta.base_model = fs::absolute(dir).string();
  model::save_checkpoint(out, ck.model, ck.tokenizer.get(), meta);
  std::cout << "wrote " << out << "\n";
  return 0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

// Runs fn warmup times untimed, then iters times; prints {fields..., iters, median_ms, min_ms}.
template <class Fn>
int report_timing(nlohmann::json fields, int iters, int warmup, Fn&& fn) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> ms;
  for (int i = 0; i < iters; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  fields["threads"] = torch::get_num_threads();
  fields["iters"] = iters;
  fields["median_ms"] = median(ms);
  fields["min_ms"] = *std::min_element(ms.begin(), ms.end());
  std::cout << fields.dump() << "\n";
  return 0;
}

int cmd_bench(const std::string& dir, int64_t batch, int64_t seq, int threads, int iters, int warmup,
              const std::string& cpu_path, const std::string& precision, const std::string& text,
              const std::string& device_name) {
  if (batch < 1 || seq < 1 || iters < 1) throw InputError("--batch, --seq and --iters must be >= 1");
  if (threads > 0) torch::set_num_threads(threads);
  auto ck = model::load_checkpoint(dir, options_from("", "", !text.empty()));
  if (seq > ck.config().max_position_embeddings)
    throw InputError("--seq " + std::to_string(seq) + " exceeds max_position_embeddings");
  const auto device = model::parse_device(device_name, "--device");
  if (device.is_cpu() && precision != "fp32" && precision != "auto" && cpu_path != "packed")
    throw InputError("--precision " + precision + " needs --cpu-path packed");
  const auto placed = model::place_for_inference(*ck.model, device, precision, cpu_path == "packed", "--precision");
  if (device.is_cpu() && cpu_path == "packed" && !placed.packed) throw Error("--cpu-path packed: " + placed.compute_path);
  if (!text.empty()) {  // the serving path without HTTP: tokenize, windows, forward, softmax, decode
    model::Predictor p(ck.model, ck.tokenizer, model::inference_options(ck.meta, ck.config()));
    const std::vector<data::Example> ex{data::make_text_example("bench", text)};
    return report_timing({{"text_chars", text.size()}, {"device", device.str()}, {"cpu_path", cpu_path},
                          {"precision", placed.precision}},
                         iters, warmup, [&] { (void)p.predict(ex); });
  }
  torch::InferenceMode guard;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
  auto ids = torch::randint(1000, ck.config().vocab_size, {batch, seq}, gen, torch::kLong).to(device);
  const torch::Tensor mask;  // nothing padded: the unmasked path, as the Predictor takes it
  // .item() waits for the device, so each timed call is the whole forward
  return report_timing({{"batch", batch}, {"seq", seq}, {"device", device.str()}, {"cpu_path", cpu_path},
                        {"precision", placed.precision}},
                       iters, warmup, [&] { (void)ck.model->forward(ids, mask).token_logits.sum().item<float>(); });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"triage-model: inspect, convert, tag with and time a Hugging Face-style checkpoint"};
  app.require_subcommand(1);
  std::string dir, out, labels, intents;
  std::vector<std::string> texts;
  int64_t batch = 1, seq = 32;
  int threads = 0, iters = 50, warmup = 5;

  auto* info = app.add_subcommand("info", "print the configuration, labels and load report as JSON");
  info->add_option("--model", dir, "checkpoint directory")->required();
  auto* tag = app.add_subcommand("tag", "tag texts: entities with code-point offsets and the intent, as JSON");
  tag->add_option("--model", dir, "checkpoint directory")->required();
  tag->add_option("--labels", labels, "comma-separated token labels (re-initialises the head)");
  std::string aggregation = "first";
  tag->add_option("--aggregation", aggregation, "sub-word to word aggregation: first, average or max");
  auto* texts_opt = tag->add_option("texts", texts, "texts to tag");
  std::string tag_data, tag_format, tag_output, tag_output_format = "labelstudio";
  auto* data_opt = tag->add_option("--data", tag_data, "tag every example of this data set (a file or split folder) instead");
  tag->add_option("--format", tag_format, "format of --data (default: from the path and content)")
      ->check(CLI::IsMember({"conll", "jointbert", "jsonl", "labelstudio", "doccano", "prodigy"}));
  auto* output_opt = tag->add_option("--output", tag_output, "with --data: the file to write (atomically)");
  tag->add_option("--output-format", tag_output_format,
                  "with --data: labelstudio (tasks with the predictions, for pre-annotation; default) or any "
                  "triage-data format holding the predicted labels")
      ->check(CLI::IsMember({"labelstudio", "jsonl", "doccano", "prodigy", "conll"}));
  data_opt->excludes(texts_opt)->needs(output_opt);
  output_opt->needs(data_opt);
  auto* convert = app.add_subcommand("convert", "load a checkpoint (optionally with new heads) and save it");
  convert->add_option("--model", dir, "source directory")->required();
  convert->add_option("--out", out, "output directory (written atomically)")->required();
  convert->add_option("--labels", labels, "comma-separated token labels for a fresh head");
  convert->add_option("--intents", intents, "comma-separated intent labels for a fresh intent head");
  auto* bench = app.add_subcommand("bench", "median forward latency on random ids");
  bench->add_option("--model", dir, "checkpoint directory")->required();
  bench->add_option("--batch", batch, "batch size");
  bench->add_option("--seq", seq, "sequence length");
  bench->add_option("--threads", threads, "intra-op threads (0 = torch default)");
  bench->add_option("--iters", iters, "timed iterations");
  bench->add_option("--warmup", warmup, "untimed iterations");
  std::string cpu_path = "packed";
  bench->add_option("--cpu-path", cpu_path, "packed (prepacked oneDNN weights, as triage-serve) | torch (composite ops)")
      ->check(CLI::IsMember({"packed", "torch"}));
  std::string precision = "auto";
  bench->add_option("--precision", precision,
                    "auto (fp32 on the CPU, bf16 on CUDA) | fp32 | bf16 | int8 (CPU packed path) | fp16 (CUDA)")
      ->check(CLI::IsMember({"auto", "fp32", "bf16", "int8", "fp16"}));
  std::string device = "cpu";
  for (auto* sub : {tag, bench}) sub->add_option("--device", device, "cpu | cuda | cuda:N (default cpu)");
  std::string bench_text_arg;
  bench->add_option("--text", bench_text_arg, "time Predictor::predict on this message instead (tokenize to decode)");
  if (auto rc = parse_cli(app, argc, argv)) return *rc;
  return run_main("triage-model", [&] {
    if (*info) return cmd_info(dir);
    if (*tag && !tag_data.empty())
      return cmd_tag_data(dir, tag_data, tag_format, tag_output, tag_output_format, aggregation, device);
    if (*tag && texts.empty()) throw InputError("tag: give texts to tag, or --data FILE --output FILE");
    if (*tag) return cmd_tag(dir, labels, texts, aggregation, device);
    if (*convert) return cmd_convert(dir, out, labels, intents);
    if (*bench) return cmd_bench(dir, batch, seq, threads, iters, warmup, cpu_path, precision, bench_text_arg, device);
    return 0;
  });
}
