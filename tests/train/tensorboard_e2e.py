#!/usr/bin/env python3
"""triage-train's TensorBoard event files (issue 19): a short run on a tiny random BERT, then
TensorBoard's own EventAccumulator reads run.output_dir/tb/ and must find every scalar of the
train and eval records of metrics.jsonl (loss, token/intent loss, lr, tokens/s, dev metrics)
at the same steps with the same values (float32); track.tensorboard=false writes no tb/.

Exit 0 pass, 1 fail, 77 skipped. Env: TRIAGE_BIN_DIR.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("TRIAGE_BIN_DIR", os.path.join(ROOT, "build", "bin"))
sys.path.insert(0, HERE)


def main():
    try:
        import numpy as np
        import torch
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    except ImportError as e:
        print(f"SKIP: tensorboard / torch unavailable ({e})")
        return 77
    from tiny_families import save_tiny_base
    tmp = tempfile.mkdtemp(prefix="triage-tb-")
    subprocess.run([os.path.join(BIN, "triage-data"), "generate", f"{tmp}/c", "--seed", "2", "--train", "64",
                    "--dev", "16", "--test", "4"], check=True, capture_output=True)
    base = save_tiny_base("bert", f"{tmp}/base")
    train = [os.path.join(BIN, "triage-train"), "--set", f"model.base={base}", "--set", "model.max_seq_len=64",
             "--set", f"data.train={tmp}/c/train.jsonl", "--set", f"data.dev={tmp}/c/dev.jsonl", "--set", "run.threads=1",
             "--set", "run.batch_size=8", "--set", "run.epochs=2", "--set", "run.log_every=2", "--set", "run.eval_every=4"]
    r = subprocess.run(train + ["--set", f"run.output_dir={tmp}/run"], capture_output=True, text=True)
    if r.returncode != 0:
        print("FAIL: training:", r.stderr[-1500:])
        return 1
    records = [json.loads(l) for l in open(f"{tmp}/run/metrics.jsonl")]
    want = {}
    for rec in records:
        if rec.get("type") not in ("train", "eval"):
            continue
        for k, v in rec.items():
            if isinstance(v, (int, float)) and k not in ("step", "epoch", "elapsed_s"):
                want.setdefault(f"{rec['type']}/{k}", []).append((rec["step"], v))
    acc = EventAccumulator(f"{tmp}/run/tb", size_guidance={"scalars": 0})
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    fails = []
    if set(want) != tags:
        fails.append(f"tags: missing {sorted(set(want) - tags)}, extra {sorted(tags - set(want))}")
    for tag, pts in want.items():
        if tag not in tags:
            continue
        got = [(e.step, e.value) for e in acc.Scalars(tag)]
        if [s for s, _ in got] != [s for s, _ in pts]:
            fails.append(f"{tag}: steps {[s for s, _ in got]} != {[s for s, _ in pts]}")
        elif any(np.float32(v) != np.float32(g) for (_, v), (_, g) in zip(pts, got)):
            fails.append(f"{tag}: values differ")
    for need in ("train/loss", "train/lr", "train/tokens_per_s", "eval/entity_f1", "eval/intent_accuracy"):
        if need not in tags:
            fails.append(f"no {need}")
    r = subprocess.run(train + ["--set", f"run.output_dir={tmp}/off", "--set", "track.tensorboard=false",
                                "--set", "run.max_steps=2"], capture_output=True, text=True)
    if r.returncode != 0 or os.path.exists(f"{tmp}/off/tb"):
        fails.append(f"track.tensorboard=false: rc {r.returncode}, tb/ exists: {os.path.exists(f'{tmp}/off/tb')}")
    for f in fails:
        print("  FAIL:", f)
    n = sum(len(v) for v in want.values())
    if fails:
        print(f"tensorboard_e2e: {len(fails)} failures (kept {tmp})")
        return 1
    print(f"tensorboard_e2e: EventAccumulator read all {n} scalars of {len(want)} tags at the logged steps")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
