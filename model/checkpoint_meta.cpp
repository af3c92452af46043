// triage.json to and from CheckpointMeta (see checkpoint_meta.h).
#include "model/checkpoint_meta.h"

#include <cmath>

#include "core/error.h"
#include "core/file_io.h"

namespace triage::model {

namespace {

using nlohmann::json;

// j[key] as T when present; InputError naming source and key when it has another type.
template <typename T>
void take(json& j, const char* key, T& out, const std::string& source, const char* expected) {
  auto it = j.find(key);
  if (it == j.end()) return;
  try {
    out = it->get<T>();
  } catch (const json::exception&) {
    throw InputError(source + ": key '" + key + "': expected " + expected + ", found " + it->dump());
  }
  j.erase(it);
}

template <typename T>
void take(json& j, const char* key, std::optional<T>& out, const std::string& source, const char* expected) {
  if (!j.contains(key)) return;
  T v{};
  take(j, key, v, source, expected);
  out = v;
}

// j[key] as an object, taken out of j; nullopt when absent.
std::optional<json> take_object(json& j, const char* key, const std::string& source) {
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if (!it->is_object()) throw InputError(source + ": key '" + key + "': expected an object, found " + it->dump());
  json o = *it;
  j.erase(it);
  return o;
}

}  // namespace

json CheckpointMeta::to_json() const {
  json j = extra.is_object() ? extra : json::object();
  j["format_version"] = 1;
  if (max_seq_len) j["max_seq_len"] = *max_seq_len;
  if (stride) j["stride"] = *stride;
  if (decode_mode) j["decode_mode"] = *decode_mode;
  if (!label_schema.is_null()) j["label_schema"] = label_schema;
  if (!base_model.empty()) j["base_model"] = base_model;
  if (data)
    j["data"] = {{"train", data->train}, {"dev", data->dev}, {"test", data->test},
                 {"train_examples", data->train_examples}};
  if (!config_yaml.empty()) j["config_yaml"] = config_yaml;
  if (!checkpoint.empty()) j["checkpoint"] = checkpoint;
  if (step >= 0) j["step"] = step;
  if (epoch >= 0) j["epoch"] = epoch;
  if (best) j["best"] = {{"metric", best->metric}, {"value", best->value}, {"step", best->step}};
  if (calibration) {
    json c = calibration->report.is_object() ? calibration->report : json::object();
    c["intent_temperature"] = calibration->intent_temperature;
    c["token_temperature"] = calibration->token_temperature;
    j["calibration"] = c;
  }
  j["labels"] = labels;
  j["intent_labels"] = intent_labels;
  if (!head.empty()) j["head"] = head;
  return j;
}

CheckpointMeta CheckpointMeta::from_json(const json& in, const std::string& source) {
  if (!in.is_object()) throw InputError(source + ": expected a JSON object, found " + std::string(in.type_name()));
  json j = in;
  CheckpointMeta m;
  m.source = source;
  int64_t version = 1;
  take(j, "format_version", version, source, "an integer");
  if (version != 1) throw InputError(source + ": key 'format_version': expected 1, found " + std::to_string(version));
  take(j, "max_seq_len", m.max_seq_len, source, "an integer");
  take(j, "stride", m.stride, source, "an integer");
  take(j, "decode_mode", m.decode_mode, source, "a string");
  if (auto it = j.find("label_schema"); it != j.end()) {
    m.label_schema = *it;
    j.erase(it);
  }
  take(j, "base_model", m.base_model, source, "a string");
  if (auto d = take_object(j, "data", source)) {
    const std::string where = source + " (data)";
    Data data;
    take(*d, "train", data.train, where, "a string");
    take(*d, "dev", data.dev, where, "a string");
    take(*d, "test", data.test, where, "a string");
    take(*d, "train_examples", data.train_examples, where, "an integer");
    m.data = data;
  }
  take(j, "config_yaml", m.config_yaml, source, "a string");
  take(j, "checkpoint", m.checkpoint, source, "a string");
  take(j, "step", m.step, source, "an integer");
  take(j, "epoch", m.epoch, source, "an integer");
  if (auto b = take_object(j, "best", source)) {
    const std::string where = source + " (best)";
    Best best;
    take(*b, "metric", best.metric, where, "a string");
    take(*b, "value", best.value, where, "a number");
    take(*b, "step", best.step, where, "an integer");
    m.best = best;
  }
  if (auto c = take_object(j, "calibration", source)) {
    const std::string where = source + " (calibration)";
    Calibration cal;
    take(*c, "intent_temperature", cal.intent_temperature, where, "a number");
    take(*c, "token_temperature", cal.token_temperature, where, "a number");
    for (double t : {cal.intent_temperature, cal.token_temperature})
      if (!(t > 0) || !std::isfinite(t))
        throw InputError(where + ": temperatures must be finite and > 0, found " + std::to_string(t));
    cal.report = std::move(*c);
    m.calibration = std::move(cal);
  }
  take(j, "labels", m.labels, source, "a list of strings");
  take(j, "intent_labels", m.intent_labels, source, "a list of strings");
  take(j, "head", m.head, source, "a string");
  m.extra = std::move(j);
  return m;
}

CheckpointMeta CheckpointMeta::read(const std::filesystem::path& dir) {
  const auto file = dir / "triage.json";
  if (!std::filesystem::exists(file)) return CheckpointMeta{};
  return from_json(read_json_file(file), file.string());
}

}  // namespace triage::model
