#!/usr/bin/env python3
"""Draws a triage-train run's curves from its metrics.jsonl: training loss (with the token
and intent parts) against the optimizer step, and the dev metrics (entity F1, intent
accuracy, frame accuracy) at each evaluation, into one PNG.

  scripts/plot_metrics.py runs/quickstart/model/metrics.jsonl [-o curves.png]
"""
import argparse
import json
import os
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("metrics", help="metrics.jsonl written by triage-train")
    ap.add_argument("-o", "--output", help="PNG to write (default: beside metrics.jsonl)")
    args = ap.parse_args()
    train, evals = [], []
    with open(args.metrics, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"{args.metrics}:{n}: not JSON ({e})")
            if rec.get("type") == "train":
                train.append(rec)
            elif rec.get("type") == "eval":
                evals.append(rec)
    if not train:
        sys.exit(f"{args.metrics}: no training records (type 'train') to plot")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    steps = [r["step"] for r in train]
    ax1.plot(steps, [r["loss"] for r in train], label="loss")
    ax1.plot(steps, [r.get("token_loss", 0) for r in train], label="token loss", alpha=0.7)
    if any(r.get("intent_loss", 0) for r in train):
        ax1.plot(steps, [r["intent_loss"] for r in train], label="intent loss", alpha=0.7)
    ax1.set_xlabel("optimizer step")
    ax1.set_ylabel("loss")
    ax1.set_title("training loss")
    ax1.grid(alpha=0.3)
    ax1.legend()
    if evals:
        es = [r["step"] for r in evals]
        for key, label in (("entity_f1", "entity F1"), ("intent_accuracy", "intent accuracy"),
                           ("frame_accuracy", "frame accuracy")):
            if any(key in r for r in evals):
                ax2.plot(es, [r.get(key, float("nan")) for r in evals], marker="o", label=label)
        ax2.set_ylim(0, 1.02)
        ax2.legend()
    else:
        ax2.text(0.5, 0.5, "no dev evaluations", ha="center", va="center")
    ax2.set_xlabel("optimizer step")
    ax2.set_title("dev metrics")
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    out = args.output or os.path.join(os.path.dirname(os.path.abspath(args.metrics)), "curves.png")
    tmp = out + ".tmp.png"
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, out)
    print(out)


if __name__ == "__main__":
    main()
