// triage-eval: token, entity and intent reports for predictions (a CoNLL file with gold and
// predicted columns) or, once the data layer lands, for a model over a labelled data set.
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "data/error.h"
#include "data/file_io.h"
#include "eval/evaluate.h"
#include "eval/predictions.h"

using triage::InputError;
namespace ev = triage::eval;

int main(int argc, char** argv) {
  CLI::App app{"triage-eval: classification reports equal to scikit-learn and seqeval"};
  std::string predictions, model, data, format = "conll", json_out, mode = "default", scheme = "IOB2";
  int digits = 4;
  auto* pred_opt = app.add_option("--predictions", predictions,
                                  "CoNLL file: token first, gold tag second to last, predicted tag last; "
                                  "optional '# intent: GOLD PRED' line before a sentence");
  auto* model_opt = app.add_option("--model", model, "checkpoint directory to tag --data with");
  auto* data_opt = app.add_option("--data", data, "labelled data set (with --model)");
  app.add_option("--format", format, "format of --data")->check(CLI::IsMember({"conll", "jointbert", "jsonl"}));
  app.add_option("--json", json_out, "also write every number as JSON to this file (atomically)");
  app.add_option("--mode", mode, "entity chunking: seqeval default (lenient) or strict")
      ->check(CLI::IsMember({"default", "strict"}));
  app.add_option("--scheme", scheme, "strict-mode scheme: IOB2, IOE2, IOBES, BILOU, IOB1, IOE1 or auto (from gold)")
      ->check(CLI::IsMember({"IOB1", "IOE1", "IOB2", "IOE2", "IOBES", "BILOU", "auto"}));
  app.add_option("--digits", digits, "digits after the decimal point in the printed reports")
      ->check(CLI::Range(0, 15));
  pred_opt->excludes(model_opt)->excludes(data_opt);
  data_opt->needs(model_opt);
  model_opt->needs(data_opt);
  try {
    app.parse(argc, argv);
    if (predictions.empty() && model.empty())
      throw CLI::RequiredError("one of --predictions FILE or --model DIR --data PATH");
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    if (!model.empty())
      throw InputError("--model/--data evaluation is not available yet in this build (the data readers and "
                       "the model decode path have not landed); tag the data elsewhere and use "
                       "--predictions FILE");
    ev::EvalOptions options;
    options.mode = mode == "strict" ? ev::Mode::strict : ev::Mode::lenient;
    options.scheme = scheme == "auto" ? std::nullopt : ev::parse_scheme(scheme);
    const ev::EvalSet set = ev::read_predictions(predictions);
    const ev::EvalResult result = ev::evaluate(set, options);
    if (!json_out.empty()) triage::data::write_file_atomic(json_out, ev::result_json(result).dump(2) + "\n");
    std::cout << ev::format_result(result, digits);
  } catch (const InputError& e) {
    std::cerr << "triage-eval: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "triage-eval: internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
