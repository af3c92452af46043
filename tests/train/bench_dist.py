#!/usr/bin/env python3
"""Training throughput of 1 process vs N Gloo ranks on CPU (docs/benchmarks.md,
"Multi-process training (CPU, Gloo)"). Not a ctest: a measurement.

MiniLM-L6-H384 on the quickstart corpus (configs/quickstart.yaml: max_seq_len 128, batch
16 per rank, max_tokens 4096), no dev/test evaluation, fixed steps. Tokens/s = real
sub-words of all ranks per second of training wall time, from metrics.jsonl, excluding
the first --warmup steps. Each configuration runs --repeat times; the median is reported.

  .venv/bin/python tests/train/bench_dist.py [--steps 40] [--warmup 5] [--repeat 2]
Env: TRIAGE_BIN_DIR (default build/bin).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

BIN = os.environ.get("TRIAGE_BIN_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build", "bin"))
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def tokens_per_s(out_dir, warmup):
    recs = [json.loads(l) for l in open(os.path.join(out_dir, "metrics.jsonl")) if l.strip()]
    tr = [r for r in recs if r.get("type") == "train"]
    tokens, prev = 0.0, None
    for r in tr:
        if prev is not None and r["step"] > warmup:
            tokens += r["tokens_per_s"] * (r["elapsed_s"] - prev["elapsed_s"])
        prev = r
    t0 = next(r["elapsed_s"] for r in tr if r["step"] == warmup)
    return tokens / (tr[-1]["elapsed_s"] - t0), (tr[-1]["elapsed_s"] - t0) / (tr[-1]["step"] - warmup)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args()
    corpus = os.path.join(ROOT, "runs", "quickstart", "corpus")
    if not os.path.exists(os.path.join(corpus, "train.jsonl")):
        subprocess.run([os.path.join(BIN, "triage-data"), "generate", corpus, "--seed", "7"], check=True)
    train = os.path.join(BIN, "triage-train")
    base = ["--config", os.path.join(ROOT, "configs", "quickstart.yaml"), "--set", f"data.train={corpus}/train.jsonl",
            "--set", "data.dev=", "--set", "data.test=", "--set", f"run.max_steps={a.steps}",
            "--set", "run.log_every=1", "--set", "run.device=cpu"]
    configs = [
        ("1 process, 2 threads", [], 2),
        ("1 process, 1 thread", [], 1),
        ("2 processes x 1 thread (gloo, overlap)", ["--nproc-per-node", "2"], 1),
        ("2 processes x 1 thread (gloo, no overlap)", ["--nproc-per-node", "2", "--set", "dist.overlap=false"], 1),
    ]
    env = dict(os.environ)
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "OMP_NUM_THREADS"):
        env.pop(k, None)
    print(f"load average before: {os.getloadavg()}")
    # Interleaved (every configuration once per round) so that load from other work on the
    # machine spreads over all of them; the load average is recorded per run.
    results = {name: [] for name, _, _ in configs}
    loads = []
    for rnd in range(a.repeat):
        for name, extra, threads in configs:
            out = tempfile.mkdtemp(prefix="triage-bench-dist-")
            r = subprocess.run([train] + extra + base + ["--set", f"run.threads={threads}", "--set",
                                                         f"run.output_dir={out}"],
                               capture_output=True, text=True, env=env)
            if r.returncode != 0:
                print(r.stderr[-2000:])
                return 1
            results[name].append(tokens_per_s(out, a.warmup))
            loads.append(os.getloadavg()[0])
            print(f"round {rnd + 1} {name}: {results[name][-1][0]:,.0f} tokens/s, "
                  f"{results[name][-1][1]:.3f} s/step, load {loads[-1]:.2f}", flush=True)
    rows = [(name, statistics.median(t for t, _ in results[name]), statistics.median(s for _, s in results[name]))
            for name, _, _ in configs]
    print(f"load average (1 min) over the runs: {min(loads):.2f} .. {max(loads):.2f}")
    print("| configuration | tokens/s | s/step | vs 1 process, 2 threads |")
    print("|---|---:|---:|---:|")
    for name, t, s in rows:
        print(f"| {name} | {t:,.0f} | {s:.3f} | {t / rows[0][1]:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
