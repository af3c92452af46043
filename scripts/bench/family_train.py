#!/usr/bin/env python3
"""Fine-tuning speed per encoder family (issue 17): triage-train against the Hugging Face
Trainer (scripts/bench/hf_train.py) on the first --train examples of SNIPS, same random-
initialised base (written by transformers at --size, as scripts/bench/model_forward.py: small
= hidden 384 x 6 layers, base = 768 x 12), MiniLM's uncased WordPiece vocabulary, same epochs,
lr 1e-4, batch 32, max length 64, seed and thread count. Random weights are fine for speed:
the parity tests (scripts/parity/model_parity.py) carry correctness. Training tokens/s counts
the real (unpadded) sub-words of the training examples, times epochs, over the training time.

  scripts/bench/family_train.py [--families bert,distilbert,...] [--size small|base]
      [--train N] [--epochs E] [--threads T]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from model_forward import cpu_name, random_checkpoint  # noqa: E402

FAMILIES = ["bert", "distilbert", "electra", "deberta-v2", "modernbert"]


def subset(src, dst, n):
    """The first n examples of a JointBERT split folder."""
    os.makedirs(dst, exist_ok=True)
    for name in ("seq.in", "seq.out", "label"):
        with open(os.path.join(src, name), encoding="utf-8") as f, open(os.path.join(dst, name), "w") as g:
            g.writelines(f.readlines()[:n])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--size", default="small", choices=["small", "base"])
    ap.add_argument("--train", type=int, default=2000)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    args = ap.parse_args()
    shared = os.environ.get("TRIAGE_SHARED_DIR") or os.path.join(ROOT, "..", "shared")
    snips = os.path.join(shared, "datasets", "snips")
    if not os.path.isdir(snips):
        sys.exit(f"family_train.py: SNIPS not found at {snips} (set TRIAGE_SHARED_DIR)")
    vocab = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "minilm_path.py")], check=True,
                           capture_output=True, text=True).stdout.strip()
    tmp = tempfile.mkdtemp(prefix="triage-family-train-")
    data = os.path.join(tmp, "snips")
    subset(os.path.join(snips, "train"), os.path.join(data, "train"), args.train)
    subset(os.path.join(snips, "test"), os.path.join(data, "test"), 200)
    import torch
    import transformers
    print(f"machine: {cpu_name()}, {os.cpu_count()} cores; threads={args.threads}; torch {torch.__version__}, "
          f"transformers {transformers.__version__}; {args.size}; SNIPS first {args.train} examples x "
          f"{args.epochs} epoch(s), batch 32, max length 64")
    print("| family | triage tokens/s | Trainer tokens/s | speed-up |")
    print("|---|---|---|---|")
    for family in args.families.split(","):
        base = random_checkpoint(family, args.size, os.path.join(tmp, f"base-{family}"))
        for f in ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"):
            shutil.copy(os.path.join(vocab, f), base)
        out = os.path.join(tmp, f"triage-{family}")
        r = subprocess.run([os.path.join(args.bin, "triage-train"), "--config", os.path.join(ROOT, "configs/snips.yaml"),
                            "--set", f"model.base={base}", "--set", f"data.train={data}/train", "--set", "data.dev=",
                            "--set", f"data.test={data}/test", "--set", f"run.epochs={args.epochs}",
                            "--set", f"run.threads={args.threads}", "--set", f"run.output_dir={out}"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"triage-train ({family}) failed:\n{r.stderr[-3000:]}")
        ours = json.load(open(os.path.join(out, "summary.json")))["train_tokens_per_s"]
        hf_json = os.path.join(tmp, f"hf-{family}.json")
        r = subprocess.run([sys.executable, os.path.join(HERE, "hf_train.py"), "--data", data, "--base", base,
                            "--epochs", str(args.epochs), "--lr", "1e-4", "--batch-size", "32", "--max-len", "64",
                            "--threads", str(args.threads), "--output-dir", os.path.join(tmp, "hf-out"),
                            "--json", hf_json], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"hf_train.py ({family}) failed:\n{r.stderr[-3000:]}")
        theirs = json.load(open(hf_json))["train_tokens_per_s"]
        print(f"| {family} | {ours:.0f} | {theirs:.0f} | {ours / theirs:.2f}x |", flush=True)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
