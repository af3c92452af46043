// Keys and help texts of TrainConfig.
#include "train/train_config.h"

namespace triage::train {

void TrainConfig::register_fields(config::Schema& s) {
  s.add("model.base", &model.base, "base or fine-tuned checkpoint directory; 'minilm' = packaged MiniLM-L6-H384");
  s.add("model.kernels", &model.kernels, "auto (fused on CUDA, torch on CPU) | fused | torch");
  s.choices("model.kernels", {"auto", "fused", "torch"});
  s.add("model.max_seq_len", &model.max_seq_len, "sub-words per window, special tokens included");
  s.add("model.stride", &model.stride, "sub-words shared by consecutive windows of a long transcript");
  s.add("model.label_all_subwords", &model.label_all_subwords, "label every sub-word (false: first only, others -100)");
  s.add("data.train", &data.train, "training data: a file or a JointBERT split folder");
  s.add("data.dev", &data.dev, "dev data for evaluation during training (optional)");
  s.add("data.test", &data.test, "test data evaluated with the best checkpoint at the end (optional)");
  s.add("data.format", &data.format, "auto | conll | jointbert | jsonl");
  s.choices("data.format", {"auto", "conll", "jointbert", "jsonl"});
  s.add("data.scheme", &data.scheme, "tag scheme the model predicts: bio");
  s.choices("data.scheme", {"bio"});
  s.add("optim.lr", &optim.lr, "peak learning rate (AdamW)");
  s.add("optim.weight_decay", &optim.weight_decay, "decoupled weight decay; never on biases and LayerNorm weights");
  s.add("optim.beta1", &optim.beta1, "AdamW beta1");
  s.add("optim.beta2", &optim.beta2, "AdamW beta2");
  s.add("optim.eps", &optim.eps, "AdamW epsilon");
  s.add("optim.warmup_ratio", &optim.warmup_ratio, "linear warmup as a fraction of all optimizer steps");
  s.add("optim.warmup_steps", &optim.warmup_steps, "warmup steps; overrides warmup_ratio when >= 0");
  s.add("optim.schedule", &optim.schedule, "decay after warmup: linear | cosine | constant");
  s.choices("optim.schedule", {"linear", "cosine", "constant"});
  s.add("optim.max_grad_norm", &optim.max_grad_norm, "global gradient-norm clipping; <= 0 disables");
  s.add("optim.grad_accum", &optim.grad_accum, "batches accumulated per optimizer step");
  s.add("loss.intent_weight", &loss.intent_weight, "weight of the intent cross-entropy next to the token loss");
  s.add("loss.class_weights", &loss.class_weights, "token class weights: none | inverse (inverse frequency)");
  s.choices("loss.class_weights", {"none", "inverse"});
  s.add("loss.class_weight_values", &loss.class_weight_values, "explicit token class weights, e.g. [\"O=0.5\"]");
  s.add("loss.label_smoothing", &loss.label_smoothing, "label smoothing of both cross-entropies");
  s.add("run.epochs", &run.epochs, "passes over the training data");
  s.add("run.max_steps", &run.max_steps, "stop after this many optimizer steps when > 0");
  s.add("run.batch_size", &run.batch_size, "maximum examples per batch");
  s.add("run.max_tokens", &run.max_tokens, "maximum padded sub-words per batch");
  s.add("run.bucket_batches", &run.bucket_batches,
        "batches are cut from length-sorted pools of this many shuffled batches (less padding, as the "
        "transformers Trainer's group_by_length); 1 = plain random batches");
  s.add("run.seed", &run.seed, "seed of initialisation, dropout and data order");
  s.add("run.threads", &run.threads, "intra-op threads; 0 = torch default");
  s.add("run.device", &run.device, "auto | cpu | cuda");
  s.choices("run.device", {"auto", "cpu", "cuda"});
  s.add("run.precision", &run.precision,
        "auto (bf16 autocast on CUDA, fp32 on CPU) | fp32 | bf16 (autocast; on the CPU only where it multiplies bf16 "
        "natively: AVX512-BF16 or AMX)");
  s.choices("run.precision", {"auto", "fp32", "bf16"});
  s.add("run.eval_every", &run.eval_every, "optimizer steps between dev evaluations; 0 = each epoch");
  s.add("run.log_every", &run.log_every, "optimizer steps between log lines / metrics.jsonl records");
  s.add("run.patience", &run.patience, "early stopping: evaluations without improvement; 0 = off");
  s.add("run.output_dir", &run.output_dir, "where best/, last/, metrics.jsonl and config.yaml go");
  s.add("run.metric", &run.metric, "dev metric that picks the best checkpoint");
  s.choices("run.metric", {"entity_f1", "intent_accuracy", "frame_accuracy"});
  s.add("dist.backend", &dist.backend, "multi-process backend: auto (nccl on CUDA, gloo on CPU) | gloo | nccl");
  s.choices("dist.backend", {"auto", "gloo", "nccl"});
  s.add("dist.timeout_s", &dist.timeout_s, "seconds any collective (and the rendezvous) may take before the rank fails");
  s.add("dist.eval_timeout_s", &dist.eval_timeout_s,
        "seconds the other ranks wait for rank 0's dev evaluation and checkpoint writes");
  s.add("dist.bucket_mb", &dist.bucket_mb, "gradient all-reduce bucket size in MB");
  s.add("dist.overlap", &dist.overlap, "all-reduce gradient buckets during backward (false: after it)");
}

}  // namespace triage::train
