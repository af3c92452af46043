// Which fields of a metrics.jsonl record become tracked scalars (TensorBoard, MLflow): every
// numeric field of a "train" or "eval" record except its position (step, epoch, elapsed_s),
// named "<type>/<field>" at the record's step. One rule for every tracker.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace triage::train {

struct TrackedScalar {
  std::string tag;
  int64_t step = 0;
  double value = 0;
};

inline std::vector<TrackedScalar> tracked_scalars(const nlohmann::json& record) {
  std::vector<TrackedScalar> out;
  const std::string type = record.value("type", "");
  if (type != "train" && type != "eval") return out;
  const int64_t step = record.value("step", int64_t{0});
  for (auto it = record.begin(); it != record.end(); ++it)
    if (it.value().is_number() && it.key() != "step" && it.key() != "epoch" && it.key() != "elapsed_s")
      out.push_back({type + "/" + it.key(), step, it.value().get<double>()});
  return out;
}

}  // namespace triage::train
