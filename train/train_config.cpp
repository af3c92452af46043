// Keys and help texts of TrainConfig.
#include "train/train_config.h"

#include "core/error.h"

namespace triage::train {

void TrainConfig::register_fields(config::Schema& s) {
  s.add("model.base", &model.base, "base or fine-tuned checkpoint directory; 'minilm' = packaged MiniLM-L6-H384");
  s.add_enum("model.kernels", &model.kernels,
             {{"auto", triage::kernels::KernelMode::Auto}, {"fused", triage::kernels::KernelMode::Fused},
              {"torch", triage::kernels::KernelMode::Torch}},
             "auto (fused on CUDA, torch on CPU) | fused | torch");
  s.add("model.max_seq_len", &model.max_seq_len, "sub-words per window, special tokens included")
      .range(8, 1 << 20);
  s.add("model.stride", &model.stride, "sub-words shared by consecutive windows of a long transcript");
  s.add("model.label_all_subwords", &model.label_all_subwords, "label every sub-word (false: first only, others -100)");
  s.add_enum("model.head", &model.crf, {{"softmax", false}, {"crf", true}},
             "token head: softmax (per-word cross-entropy) | crf (a linear-chain CRF over the labels, trained on "
             "sequence likelihood)");
  s.add("data.train", &data.train, "training data: a file or a JointBERT split folder");
  s.add("data.dev", &data.dev, "dev data for evaluation during training (optional)");
  s.add("data.test", &data.test, "test data evaluated with the best checkpoint at the end (optional)");
  s.add_enum("data.format", &data.format,
             {{"auto", std::nullopt}, {"conll", triage::data::Format::conll}, {"jointbert", triage::data::Format::jointbert},
              {"jsonl", triage::data::Format::jsonl}, {"labelstudio", triage::data::Format::labelstudio},
              {"doccano", triage::data::Format::doccano}, {"prodigy", triage::data::Format::prodigy}},
             "auto (from the path and content) | conll | jointbert | jsonl | labelstudio | doccano | prodigy");
  s.add("data.scheme", &data.scheme, "tag scheme the model predicts: bio").choices({"bio"});
  s.add_enum("decode.mode", &decode.mode,
             {{"auto", std::nullopt}, {"greedy", triage::data::DecodeMode::greedy},
              {"constrained", triage::data::DecodeMode::constrained}, {"crf", triage::data::DecodeMode::crf}},
             "word tags: auto (crf with model.head crf, else greedy) | greedy (each word's most probable tag) | "
             "constrained (the most probable valid BIO sequence) | crf (the CRF's best valid BIO sequence)");
  s.add("optim.lr", &optim.lr, "peak learning rate (AdamW)");
  s.add("optim.weight_decay", &optim.weight_decay, "decoupled weight decay; never on biases and LayerNorm weights");
  s.add("optim.beta1", &optim.beta1, "AdamW beta1");
  s.add("optim.beta2", &optim.beta2, "AdamW beta2");
  s.add("optim.eps", &optim.eps, "AdamW epsilon");
  s.add("optim.crf_lr_multiplier", &optim.crf_lr_multiplier,
        "model.head crf: the transition scores learn at optim.lr x this (they start near 0 and need to move "
        "several units)")
      .positive();
  s.add("optim.warmup_ratio", &optim.warmup_ratio, "linear warmup as a fraction of all optimizer steps");
  s.add("optim.warmup_steps", &optim.warmup_steps, "warmup steps; overrides warmup_ratio when >= 0");
  s.add_enum("optim.schedule", &optim.schedule,
             {{"linear", Schedule::linear}, {"cosine", Schedule::cosine}, {"constant", Schedule::constant}},
             "decay after warmup: linear | cosine | constant");
  s.add("optim.max_grad_norm", &optim.max_grad_norm, "global gradient-norm clipping; <= 0 disables");
  s.add("optim.grad_accum", &optim.grad_accum, "batches accumulated per optimizer step")
      .range(1, 1 << 20);
  s.add("loss.intent_weight", &loss.intent_weight, "weight of the intent cross-entropy next to the token loss");
  s.add_enum("loss.class_weights", &loss.class_weights, {{"none", ClassWeights::none}, {"inverse", ClassWeights::inverse}},
             "token class weights: none | inverse (inverse frequency)");
  s.add("loss.class_weight_values", &loss.class_weight_values, "explicit token class weights, e.g. [\"O=0.5\"]");
  s.add("loss.label_smoothing", &loss.label_smoothing, "label smoothing of both cross-entropies")
      .range(0, 1);
  s.add("run.epochs", &run.epochs, "passes over the training data")
      .range(0, 1 << 20);
  s.add("run.max_steps", &run.max_steps, "stop after this many optimizer steps when > 0");
  s.add("run.batch_size", &run.batch_size, "maximum examples per batch")
      .range(1, 1 << 20);
  s.add("run.max_tokens", &run.max_tokens,
        "maximum sub-words per batch: padded (rows x longest row), or the rows' own with run.packing")
      .range(1, static_cast<double>(int64_t{1} << 30));
  s.add("run.bucket_batches", &run.bucket_batches,
        "batches are cut from length-sorted pools of this many shuffled batches (less padding, as the "
        "transformers Trainer's group_by_length); 1 = plain random batches")
      .range(1, 1 << 20);
  s.add("run.packing", &run.packing,
        "run each batch without padding: every op but attention on the real tokens only, attention per "
        "row; equal results (to float rounding), batches cut by run.max_tokens real sub-words");
  s.add("run.seed", &run.seed, "seed of initialisation, dropout and data order");
  s.add("run.threads", &run.threads, "intra-op threads; 0 = torch default")
      .range(0, 1024);
  s.add_enum("run.device", &run.device,
             {{"auto", DeviceSetting::automatic}, {"cpu", DeviceSetting::cpu}, {"cuda", DeviceSetting::cuda}},
             "auto | cpu | cuda");
  s.add_enum("run.precision", &run.precision,
             {{"auto", Precision::automatic}, {"fp32", Precision::fp32}, {"bf16", Precision::bf16}},
        "auto (bf16 autocast on CUDA, fp32 on CPU) | fp32 | bf16 (autocast; on the CPU only where it multiplies bf16 "
        "natively: AVX512-BF16 or AMX)");
  s.add("run.eval_every", &run.eval_every, "optimizer steps between dev evaluations; 0 = each epoch");
  s.add("run.log_every", &run.log_every, "optimizer steps between log lines / metrics.jsonl records");
  s.add("run.patience", &run.patience, "early stopping: evaluations without improvement; 0 = off");
  s.add("run.output_dir", &run.output_dir, "where best/, last/, metrics.jsonl and config.yaml go");
  s.add("run.metric", &run.metric, "dev metric that picks the best checkpoint")
      .choices({"entity_f1", "intent_accuracy", "frame_accuracy"});
  s.add("track.tensorboard", &track.tensorboard,
        "write TensorBoard event files of every logged and evaluated scalar to run.output_dir/tb/");
  s.add("track.mlflow_uri", &track.mlflow_uri,
        "MLflow tracking server (http://host:5000): params, metrics per step, test metrics, best checkpoint tag; "
        "\"\" = off; a server that is down never stops training");
  s.add("track.experiment", &track.experiment, "MLflow experiment name (created when missing)");
  s.add("track.run_name", &track.run_name, "MLflow run name; \"\" = run.output_dir's basename");
  s.add_enum("dist.backend", &dist.backend,
             {{"auto", Backend::automatic}, {"gloo", Backend::gloo}, {"nccl", Backend::nccl}},
             "multi-process backend: auto (nccl on CUDA, gloo on CPU) | gloo | nccl");
  s.add("dist.timeout_s", &dist.timeout_s, "seconds any collective (and the rendezvous) may take before the rank fails")
      .positive();
  s.add("dist.eval_timeout_s", &dist.eval_timeout_s,
        "seconds the other ranks wait for rank 0's dev evaluation and checkpoint writes")
      .positive();
  s.add("dist.bucket_mb", &dist.bucket_mb, "gradient all-reduce bucket size in MB")
      .positive();
  s.add("dist.overlap", &dist.overlap, "all-reduce gradient buckets during backward (false: after it)");
}

void TrainConfig::validate(bool require_inputs) const {
  if (require_inputs && model.base.empty()) throw InputError("model.base: required (a checkpoint directory, or minilm)");
  if (require_inputs && data.train.empty())
    throw InputError("data.train: required (a file or a JointBERT split folder)");
  if (model.stride < 0 || model.stride >= model.max_seq_len - 2)
    throw InputError("model.stride: expected 0 <= stride < model.max_seq_len - 2 = " + std::to_string(model.max_seq_len - 2) +
                     ", found " + std::to_string(model.stride));
  if (decode.mode == triage::data::DecodeMode::crf && !model.crf)
    throw InputError("decode.mode: crf needs a CRF head (model.head: crf), found model.head: softmax");
  if (model.crf) {
    const char* why = model.label_all_subwords          ? "model.label_all_subwords: true (the CRF scores one position per word)"
                      : loss.label_smoothing != 0        ? "loss.label_smoothing > 0"
                      : loss.class_weights != ClassWeights::none || !loss.class_weight_values.empty()
                          ? "token class weights (loss.class_weights / loss.class_weight_values)"
                          : nullptr;
    if (why) throw InputError(std::string("model.head: crf does not combine with ") + why);
  }
}

}  // namespace triage::train
