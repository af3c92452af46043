#!/usr/bin/env python3
"""triage-train resume after SIGKILL (issue 4, every encoder family: issue 17): a CPU run killed
with SIGKILL at a random step and resumed with --resume must end with weights bit-identical
(byte-equal last/model.safetensors) to an uninterrupted run with the same config.

For each family in tiny_families.FAMILIES, "bert+packing" (run.packing, issue 21) and "bert+crf" (model.head crf, issue 18: the CRF's
transitions and their optimizer group resume exactly too), or those named as arguments, a tiny random base
model (written here with transformers, MiniLM's uncased vocabulary) and a small generated
corpus, one intra-op thread. Exit 0 pass, 1 fail, 77 skipped.
Env: TRIAGE_BIN_DIR (triage-train, triage-data), TRIAGE_PYTHON's packages, KILL_SEED.
"""
import filecmp
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("TRIAGE_BIN_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build", "bin"))
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tiny_families import FAMILIES, minilm_tokenizer_dir, save_tiny_base  # noqa: E402


def main():
    try:
        import torch
        import transformers  # noqa: F401
    except ImportError as e:
        print(f"SKIP: python oracle unavailable ({e})")
        return 77
    families = sys.argv[1:] or list(FAMILIES) + ["bert+crf", "bert+packing"]
    tmp = tempfile.mkdtemp(prefix="triage-kill-")
    vocab_dir = minilm_tokenizer_dir()
    corpus = os.path.join(tmp, "corpus")
    subprocess.run([os.path.join(BIN, "triage-data"), "generate", corpus, "--seed", "3", "--train", "160",
                    "--dev", "24", "--test", "24"], check=True, capture_output=True)
    rng = random.Random(int(os.environ.get("KILL_SEED", time.time_ns() % 1000003)))
    failed = []
    for family in families:
        base = save_tiny_base(family.split("+")[0], os.path.join(tmp, f"tiny-{family}"), vocab_dir)
        if not kill_and_resume(family, base, corpus, os.path.join(tmp, family), rng):
            failed.append(family)
    shutil.rmtree(tmp, ignore_errors=True)
    if failed:
        print("FAIL:", ", ".join(failed))
    return 1 if failed else 0


def kill_and_resume(family, base, corpus, tmp, rng):
    """One family: uninterrupted run, SIGKILL at a random step, --resume; True when the
    resumed run's last weights are byte-identical and it ends at the same step."""
    common = ["--set", f"model.base={base}", "--set", "model.max_seq_len=64",
              "--set", f"data.train={corpus}/train.jsonl", "--set", f"data.dev={corpus}/dev.jsonl",
              "--set", "run.epochs=3", "--set", "run.batch_size=8", "--set", "run.eval_every=3",
              "--set", "run.threads=1", "--set", "optim.lr=1e-3", "--set", "optim.grad_accum=2",
              "--set", "run.log_every=1"] + (["--set", "model.head=crf"] if family.endswith("+crf") else []) \
        + (["--set", "run.packing=true"] if family.endswith("+packing") else [])
    train = [os.path.join(BIN, "triage-train")]
    full = os.path.join(tmp, "full")
    t0 = time.time()
    r = subprocess.run(train + common + ["--set", f"run.output_dir={full}"], capture_output=True, text=True)
    if r.returncode != 0:
        print(f"{family}: uninterrupted run failed:", r.stderr[-2000:])
        return False
    total = json.load(open(os.path.join(full, "summary.json")))["steps"]
    print(f"{family}: uninterrupted: {total} steps in {time.time() - t0:.1f} s")

    kill_after = rng.randint(4, total - 2)  # a random optimizer step, past the first save
    part = os.path.join(tmp, "part")
    p = subprocess.Popen(train + common + ["--set", f"run.output_dir={part}"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    metrics = os.path.join(part, "metrics.jsonl")
    killed_at = None
    while p.poll() is None:
        try:
            steps = [json.loads(l).get("step", 0) for l in open(metrics) if l.strip()]
        except (OSError, ValueError):
            steps = []
        if steps and max(steps) >= kill_after:
            p.send_signal(signal.SIGKILL)
            killed_at = max(steps)
            break
        time.sleep(0.01)
    p.wait()
    if killed_at is None:
        print(f"{family}: FAIL: the run ended before step {kill_after}; cannot test the kill")
        return False
    state = json.load(open(os.path.join(part, "last", "training_state", "state.json")))
    print(f"{family}: SIGKILL at step ~{killed_at} (target {kill_after}); last saved state at step {state['step']}")
    r = subprocess.run(train + common + ["--set", f"run.output_dir={part}", "--resume", part],
                       capture_output=True, text=True)
    if r.returncode != 0:
        print(f"{family}: resumed run failed:", r.stderr[-2000:])
        return False
    a = os.path.join(full, "last", "model.safetensors")
    b = os.path.join(part, "last", "model.safetensors")
    same = filecmp.cmp(a, b, shallow=False)
    steps_b = json.load(open(os.path.join(part, "summary.json")))["steps"]
    print(f"{family}: resumed run ended at step {steps_b}; last/model.safetensors byte-identical: {same}")
    return same and steps_b == total


if __name__ == "__main__":
    sys.exit(main())
