// triage-eval: token, entity and intent reports for predictions (a CoNLL file with gold and
// predicted columns) or for a model over a labelled data set (--model DIR --data PATH), with
// the decode path triage-serve uses.
#include <iostream>
#include <string>

#include <ATen/Parallel.h>
#include <CLI/CLI.hpp>

#include "core/cli.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/run_main.h"
#include "data/readers.h"
#include "eval/evaluate.h"
#include "eval/model_eval.h"
#include "eval/predictions.h"
#include "eval/reliability_plot.h"
#include "model/checkpoint.h"
#include "model/inference_device.h"
#include "model/inference_options.h"
#include "model/predictor.h"

using triage::InputError;
namespace ev = triage::eval;

int main(int argc, char** argv) {
  CLI::App app{"triage-eval: classification reports equal to scikit-learn and seqeval"};
  std::string predictions, model, data, format, json_out, mode = "default", scheme = "IOB2";
  std::string aggregation = "first", precision = "auto", device = "cpu", decode, plot;
  bool calibrate = false;
  int digits = 4;
  int64_t max_seq_len = 0, stride = -1, threads = 0;
  auto* pred_opt = app.add_option("--predictions", predictions,
                                  "CoNLL file: token first, gold tag second to last, predicted tag last; "
                                  "optional '# intent: GOLD PRED' line before a sentence");
  auto* model_opt = app.add_option("--model", model, "checkpoint directory to tag --data with");
  auto* data_opt = app.add_option("--data", data, "labelled data set (with --model)");
  app.add_option("--format", format, "format of --data (default: from the path)")
      ->check(CLI::IsMember({"conll", "jointbert", "jsonl", "labelstudio", "doccano", "prodigy"}));
  app.add_option("--aggregation", aggregation, "sub-word to word aggregation (with --model)")
      ->check(CLI::IsMember({"first", "average", "max"}));
  app.add_option("--decode", decode,
                 "word tags (with --model): greedy | constrained (valid BIO sequences) | crf (a CRF head's best "
                 "valid sequence); default: the checkpoint's decode_mode (triage.json), else crf with a CRF head, "
                 "else greedy")
      ->check(CLI::IsMember({"greedy", "constrained", "crf"}));
  app.add_option("--max-seq-len", max_seq_len, "window length in sub-words (default: the training setting)");
  app.add_option("--stride", stride, "sub-words shared by consecutive windows (default: the training setting)");
  app.add_option("--device", device, "where the model runs (with --model), as triage-serve's runtime.device: cpu, "
                 "cuda or cuda:N");
  app.add_option("--precision", precision,
                 "encoder arithmetic (with --model), as triage-serve's runtime.precision: auto (fp32 on the CPU, "
                 "bf16 on CUDA), fp32, bf16, int8 (CPU) or fp16 (CUDA)")
      ->check(CLI::IsMember({"auto", "fp32", "bf16", "int8", "fp16"}));
  app.add_option("--threads", threads, "intra-op threads (0 = torch default)");
  app.add_option("--json", json_out, "also write every number as JSON to this file (atomically)");
  app.add_option("--mode", mode, "entity chunking: seqeval default (lenient) or strict")
      ->check(CLI::IsMember({"default", "strict"}));
  app.add_option("--scheme", scheme, "strict-mode scheme: IOB2, IOE2, IOBES, BILOU, IOB1, IOE1 or auto (from gold)")
      ->check(CLI::IsMember({"IOB1", "IOE1", "IOB2", "IOE2", "IOBES", "BILOU", "auto"}));
  app.add_option("--digits", digits, "digits after the decimal point in the printed reports")
      ->check(CLI::Range(0, 15));
  auto* calibrate_opt = app.add_flag(
      "--calibrate", calibrate,
      "fit temperature scaling of the intent and token scores on --data (a dev split, not the test split) and "
      "store it in the checkpoint's triage.json; the report shows the measures before and after");
  auto* plot_opt = app.add_option("--plot", plot, "write a reliability diagram (PNG) of the raw and calibrated scores");
  calibrate_opt->needs(model_opt);
  plot_opt->needs(model_opt);
  pred_opt->excludes(model_opt)->excludes(data_opt);
  data_opt->needs(model_opt);
  model_opt->needs(data_opt);
  if (auto rc = triage::parse_cli(app, argc, argv)) return *rc;
  if (predictions.empty() && model.empty())
    return app.exit(CLI::RequiredError("one of --predictions FILE or --model DIR --data PATH")) == 0 ? 0 : 2;
  return triage::run_main("triage-eval", [&] {
    ev::EvalOptions options;
    options.mode = mode == "strict" ? ev::Mode::strict : ev::Mode::lenient;
    options.scheme = scheme == "auto" ? std::nullopt : ev::parse_scheme(scheme);
    ev::EvalSet set;
    std::optional<ev::CalibrationReport> calibration;
    if (!model.empty()) {
      if (threads > 0) at::set_num_threads(static_cast<int>(threads));
      auto ck = triage::model::load_checkpoint(model);
      // the CPU's packed path (fp32: torch's ops where it can't pack), or the GPU
      triage::model::place_for_inference(*ck.model, triage::model::parse_device(device, "--device"), precision, true,
                                         "--precision");
      triage::model::InferenceOverrides io;
      if (max_seq_len > 0) io.max_seq_len = max_seq_len;
      if (stride >= 0) io.stride = stride;
      io.max_seq_len_key = "--max-seq-len";
      io.stride_key = "--stride";
      io.aggregation = *triage::data::parse_aggregation(aggregation);
      if (!decode.empty()) io.decode = triage::data::parse_decode_mode(decode);
      io.decode_key = "--decode";
      io.calibrated = false;  // raw scores: the calibration report applies the temperatures itself
      triage::model::Predictor predictor(ck.model, ck.tokenizer, triage::model::inference_options(ck.meta, ck.config(), io));
      std::optional<triage::data::Format> fmt;
      if (!format.empty()) fmt = triage::data::parse_format(format);
      std::vector<triage::data::Example> examples;
      std::string sources;
      for (const auto& src : triage::data::find_sources(data, fmt)) {
        auto part = triage::data::read_all(src.path, src.format);
        sources += (sources.empty() ? "" : ", ") + src.path.string() + " (" + std::to_string(part.size()) + ")";
        for (auto& e : part) examples.push_back(std::move(e));
      }
      std::cerr << "triage-eval: tagging " << examples.size() << " examples from " << sources << "\n";
      ev::CalibrationSamples intent, token;
      set = ev::predict_eval_set(predictor, examples, data, &intent, &token);
      if (calibrate) {
        calibration = ev::calibrate_checkpoint(model, intent, token, data);
        std::cerr << "triage-eval: calibration stored in " << (std::filesystem::path(model) / "triage.json").string()
                  << "\n";
      } else {
        const auto& cal = ck.meta.calibration;
        calibration = ev::calibration_report(intent, token, cal ? cal->intent_temperature : 1.0,
                                             cal ? cal->token_temperature : 1.0, data);
      }
      if (!plot.empty()) ev::write_reliability_png(plot, *calibration);
    } else {
      set = ev::read_predictions(predictions);
    }
    const ev::EvalResult result = ev::evaluate(set, options);
    auto j = ev::result_json(result);
    if (calibration) j["calibration"] = calibration->to_json();
    if (!json_out.empty()) triage::write_file_atomic(json_out, j.dump(2) + "\n");
    std::cout << ev::format_result(result, digits);
    if (calibration) std::cout << "\n" << calibration->format(digits);
    return 0;
  });
}
