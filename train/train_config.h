// triage-train's configuration: one struct, each field with a default and a one-line help
// (registered in train_config.cpp), layered from YAML files and --set overrides.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config_schema.h"
#include "data/decode.h"
#include "data/readers.h"
#include "kernels/kernel_mode.h"

namespace triage::train {

// The enums a config key maps to (names on the key's registration line, train_config.cpp).
enum class Schedule { linear, cosine, constant };
enum class DeviceSetting { automatic, cpu, cuda };  // "auto": CUDA when available
enum class Precision { automatic, fp32, bf16 };     // "auto": bf16 autocast on CUDA, fp32 on the CPU
enum class Backend { automatic, gloo, nccl };       // "auto": nccl on CUDA, gloo on the CPU
enum class ClassWeights { none, inverse };

struct TrainConfig {
  struct Model {
    std::string base;           // base or fine-tuned checkpoint directory ("minilm": the packaged MiniLM)
    triage::kernels::KernelMode kernels = triage::kernels::KernelMode::Auto;
    int64_t max_seq_len = 128;  // sub-words per window, specials included
    int64_t stride = 32;        // overlap between windows of long transcripts
    bool label_all_subwords = false;
    bool crf = false;           // model.head: crf (a CRF over the labels, model/crf.h) | softmax
  } model;
  struct Data {
    std::string train, dev, test;  // paths (file or JointBERT split folder)
    std::optional<triage::data::Format> format;  // nullopt ("auto"): from the path
    std::string scheme = "bio";    // output tag scheme
  } data;
  struct Decode {
    // how dev/test evaluation chooses word tags; recorded in triage.json, so eval and serve
    // decode the checkpoint the same way unless told otherwise
    // nullopt ("auto"): crf with model.head crf, else greedy (mode() resolves it)
    std::optional<triage::data::DecodeMode> mode;
    triage::data::DecodeMode resolved(bool crf_head) const {
      return mode ? *mode : crf_head ? triage::data::DecodeMode::crf : triage::data::DecodeMode::greedy;
    }
  } decode;
  struct Optim {
    double lr = 5e-5;
    double weight_decay = 0.01;
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    double crf_lr_multiplier = 100;  // the CRF's transitions learn at lr x this
    double warmup_ratio = 0.1;      // of total steps; ignored when warmup_steps >= 0
    int64_t warmup_steps = -1;
    Schedule schedule = Schedule::linear;
    double max_grad_norm = 1.0;       // <= 0 disables clipping
    int64_t grad_accum = 1;
  } optim;
  struct Loss {
    double intent_weight = 1.0;
    ClassWeights class_weights = ClassWeights::none;
    std::vector<std::string> class_weight_values;  // explicit "label=weight" pairs
    double label_smoothing = 0.0;
  } loss;
  struct Run {
    int64_t epochs = 3;
    int64_t bucket_batches = 50;  // length-sorted pools of this many batches; 1 = random batches
    int64_t max_steps = -1;      // > 0 stops after this many optimizer steps
    int64_t batch_size = 32;
    int64_t max_tokens = 8192;   // token budget per batch (padded; real tokens with packing)
    bool packing = false;        // batches run without padding (model/unpadded.h)
    int64_t seed = 42;
    int64_t threads = 0;         // intra-op threads, 0 = torch default
    DeviceSetting device = DeviceSetting::automatic;
    Precision precision = Precision::automatic;
    int64_t eval_every = 0;      // steps between dev evaluations; 0 = each epoch
    int64_t log_every = 10;
    int64_t patience = 0;        // early stopping after N evaluations without improvement; 0 = off
    std::string output_dir = "runs/train";
    std::string metric = "entity_f1";  // entity_f1 | intent_accuracy | frame_accuracy
  } run;
  struct Track {
    bool tensorboard = true;  // run.output_dir/tb/ event files
    std::string mlflow_uri;   // "" = no MLflow
    std::string experiment = "triage";
    std::string run_name;     // "" = run.output_dir's basename
  } track;
  struct Dist {  // several processes (--nproc-per-node, torchrun, SLURM); ignored in one
    Backend backend = Backend::automatic;
    double timeout_s = 300;        // bound on every collective and the rendezvous
    double eval_timeout_s = 3600;  // bound on waiting for rank 0's evaluation / checkpoint writes
    double bucket_mb = 25;         // gradient all-reduce bucket size
    bool overlap = true;           // launch bucket all-reduces from gradient hooks during backward
  } dist;

  // Registers every field with its key, help and what it accepts; the schema writes into
  // this struct.
  void register_fields(config::Schema& schema);
  // The checks across keys (ranges and choices are on the registration lines); throws
  // InputError naming the key. model.base and data.train are checked only when
  // require_inputs is set (--dump-config needs none).
  void validate(bool require_inputs) const;
};

}  // namespace triage::train
