#!/usr/bin/env python3
"""CPU forward latency: triage (build/bin/triage-model bench) against transformers eager
(AutoModelForTokenClassification, PyTorch eager mode, its default SDPA attention), same
weights, same intra-op thread count, median of repeated runs.

  scripts/bench/model_forward.py [--threads N] [--iters N] [--bin build/bin/triage-model]
      [--family minilm|bert|roberta|distilbert|electra|deberta-v2|modernbert] [--size small|base]

minilm (default) is the packaged MiniLM-L6-H384. The other families are random-initialised
checkpoints written by transformers at the size asked for: small = hidden 384, 6 layers, 12
heads, intermediate 1,536 (MiniLM's shape); base = 768, 12 layers, 12 heads, 3,072. Electra's
embeddings are a quarter of hidden (as ELECTRA-small/base: 128 / 768 -> here 96 / 192).
deberta-v2 is configured as DeBERTa-v3 (relative attention c2p+p2c, 256 log buckets over 512
relative positions, shared keys, no absolute positions, LayerNorm'd relative embeddings).
modernbert is configured as ModernBERT-base except for its size (GeGLU, no biases, rotary
theta 160,000 global / 10,000 local, a 128-token local window, every third layer global).
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SHAPES = [(1, 32), (32, 64)]


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def random_checkpoint(family, size, out):
    """A random-initialised base model of `family` at `size`, saved by transformers."""
    import transformers as tf
    tf.utils.logging.disable_progress_bar()
    hidden, layers, inter = (384, 6, 1536) if size == "small" else (768, 12, 3072)
    common = dict(vocab_size=30522, max_position_embeddings=514)
    if family == "distilbert":
        cfg = tf.DistilBertConfig(dim=hidden, n_layers=layers, n_heads=12, hidden_dim=inter, **common)
    elif family == "deberta-v2":
        cfg = tf.DebertaV2Config(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=12,
                                 intermediate_size=inter, relative_attention=True, pos_att_type=["p2c", "c2p"],
                                 position_buckets=256, max_relative_positions=-1, share_att_key=True,
                                 norm_rel_ebd="layer_norm", position_biased_input=False, type_vocab_size=0,
                                 vocab_size=30522, max_position_embeddings=512)
    elif family == "modernbert":
        cfg = tf.ModernBertConfig(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=12,
                                  intermediate_size=inter, local_attention=128, global_attn_every_n_layers=3,
                                  vocab_size=30522, max_position_embeddings=8192, pad_token_id=0, bos_token_id=101,
                                  eos_token_id=102, cls_token_id=101, sep_token_id=102)
    else:
        cls = {"bert": tf.BertConfig, "roberta": tf.RobertaConfig, "electra": tf.ElectraConfig}[family]
        extra = {"embedding_size": hidden // 4} if family == "electra" else {}
        cfg = cls(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=12, intermediate_size=inter,
                  **common, **extra)
    tf.AutoModel.from_config(cfg).save_pretrained(out)
    return out


def hf_latency(model_dir, batch, seq, threads, iters, warmup):
    import torch
    from transformers import AutoModelForTokenClassification
    from transformers.utils import logging
    logging.set_verbosity_error()
    torch.set_num_threads(threads)
    model = AutoModelForTokenClassification.from_pretrained(model_dir, num_labels=9).eval()
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(1000, model.config.vocab_size, (batch, seq), generator=g)
    mask = torch.ones_like(ids)
    times = []
    with torch.inference_mode():
        for _ in range(warmup):
            model(input_ids=ids, attention_mask=mask)
        for _ in range(iters):
            t0 = time.perf_counter()
            out = model(input_ids=ids, attention_mask=mask).logits
            float(out.sum())
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--iters", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin", "triage-model"))
    ap.add_argument("--family", default="minilm", choices=["minilm", "bert", "roberta", "distilbert", "electra", "deberta-v2",
                                                             "modernbert"])
    ap.add_argument("--size", default="small", choices=["small", "base"])
    args = ap.parse_args()
    if args.family == "minilm":
        model_dir = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "minilm_path.py")],
                                   check=True, capture_output=True, text=True).stdout.strip()
    else:
        import tempfile
        model_dir = random_checkpoint(args.family, args.size, tempfile.mkdtemp(prefix=f"triage-bench-{args.family}-"))
    import torch
    import transformers
    print(f"machine: {cpu_name()}, {os.cpu_count()} cores; threads={args.threads}; "
          f"torch {torch.__version__}, transformers {transformers.__version__}; "
          f"{args.family}{'' if args.family == 'minilm' else ' ' + args.size}")
    print("| shape (batch x seq) | triage median ms | transformers eager median ms | speed-up |")
    print("|---|---|---|---|")
    for batch, seq in SHAPES:
        iters = args.iters if batch * seq <= 256 else max(10, args.iters // 5)
        r = subprocess.run([args.bin, "bench", "--model", model_dir, "--batch", str(batch), "--seq", str(seq),
                            "--threads", str(args.threads), "--iters", str(iters), "--warmup", str(args.warmup)],
                           check=True, capture_output=True, text=True)
        ours = json.loads(r.stdout.strip().splitlines()[-1])["median_ms"]
        theirs = hf_latency(model_dir, batch, seq, args.threads, iters, args.warmup)
        print(f"| {batch} x {seq} | {ours:.2f} | {theirs:.2f} | {theirs / ours:.2f}x |")


if __name__ == "__main__":
    main()
