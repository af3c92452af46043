#!/usr/bin/env python3
"""CPU forward latency of MiniLM-L6-H384: triage (build/bin/triage-model bench) against
transformers eager (BertForTokenClassification, PyTorch eager mode, its default SDPA
attention), same weights, same intra-op thread count, median of repeated runs.

  scripts/bench/model_forward.py [--threads N] [--iters N] [--bin build/bin/triage-model]
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


def hf_latency(model_dir, batch, seq, threads, iters, warmup):
    import torch
    from transformers import BertForTokenClassification
    torch.set_num_threads(threads)
    model = BertForTokenClassification.from_pretrained(model_dir, num_labels=9).eval()
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
    args = ap.parse_args()
    model_dir = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "minilm_path.py")],
                               check=True, capture_output=True, text=True).stdout.strip()
    import torch
    import transformers
    print(f"machine: {cpu_name()}, {os.cpu_count()} cores; threads={args.threads}; "
          f"torch {torch.__version__}, transformers {transformers.__version__}")
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
