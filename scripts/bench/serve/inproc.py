#!/usr/bin/env python3
"""In-process peers of the serving benchmark (scripts/bench/serve/run.sh): one phase per
process so that thread pools do not overlap. Prints one JSON object per configuration on
stdout, one per line.

  inproc.py hf       --model DIR --messages FILE --threads N [--seconds 20 --requests 1000] [--dtype bf16|int8]
  inproc.py ort      --onnx FILE --model DIR --messages FILE --threads N [...] [--dtype int8]

hf:  transformers pipeline("token-classification", aggregation_strategy="first"), CPU,
     torch.set_num_threads(N): one message per call (1 caller), then lists of 32 messages
     with batch_size=32. --dtype bf16 loads the model in bfloat16 (configurations *_bf16);
     --dtype int8 quantizes the encoder's Linear layers with torch.ao's quantize_dynamic
     (int8 weights, activations quantized per call; configurations *_int8).
ort: onnxruntime InferenceSession (CPUExecutionProvider, intra_op N, inter_op 1,
     ORT_ENABLE_ALL, sequential): compute alone on pre-tokenized inputs at batch 1 and at
     batch 32 (one run per 32 messages, padded to the longest of them); then the same with
     the fast tokenizer's call inside the timed region. --dtype int8 only renames the
     configurations (*_int8): pass the model from export_onnx.py --int8.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

BATCH = 32


def stats_ms(lat_s):
    a = np.asarray(lat_s) * 1000.0
    return {"p50_ms": float(np.percentile(a, 50)), "p90_ms": float(np.percentile(a, 90)),
            "p99_ms": float(np.percentile(a, 99)), "mean_ms": float(a.mean()), "max_ms": float(a.max())}


def timed(fn, items, per_call, seconds, requests, warmup_s):
    """Calls fn(item) over items in order, cycling; returns per-call latencies (s), the
    number of messages handled and the wall time. Runs until both `requests` messages
    and `seconds` have passed, after `warmup_s` seconds of untimed calls."""
    t_end = time.perf_counter() + warmup_s
    i = 0
    while time.perf_counter() < t_end or i < 3:
        fn(items[i % len(items)])
        i += 1
    lat, n, i = [], 0, 0
    t_start = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        fn(items[i % len(items)])
        t1 = time.perf_counter()
        lat.append(t1 - t0)
        i += 1
        n += per_call
        if n >= requests and t1 - t_start >= seconds:
            break
    return lat, n, time.perf_counter() - t_start


def record(name, lat, n, wall, per_call, **extra):
    r = {"config": name, "calls": len(lat), "messages": n, "wall_s": wall, "msgs_per_s": n / wall,
         "messages_per_call": per_call}
    r.update(stats_ms(lat))
    r.update(extra)
    print(json.dumps(r), flush=True)


def batches(texts):
    """Consecutive groups of BATCH messages, wrapping around, so every group is full and
    every message appears."""
    k = -(-len(texts) // BATCH)
    return [[texts[(g * BATCH + j) % len(texts)] for j in range(BATCH)] for g in range(k)]


def run_hf(args, texts):
    import torch
    from transformers import pipeline
    torch.set_num_threads(args.threads)
    bf16 = args.dtype == "bf16"
    pipe = pipeline("token-classification", model=args.model, aggregation_strategy="first", device="cpu",
                    **({"dtype": torch.bfloat16} if bf16 else {}))
    if args.dtype == "int8":  # torch's dynamic quantization of the encoder's Linear layers, as triage's int8
        from torch import nn
        torch.ao.quantization.quantize_dynamic(pipe.model.base_model.encoder, {nn.Linear}, dtype=torch.qint8,
                                               inplace=True)
    sfx = "" if args.dtype == "fp32" else "_" + args.dtype
    what = {"fp32": "", "bf16": ", bf16 model", "int8": ", encoder Linear layers dynamically quantized to int8"}[args.dtype]
    sample = pipe(texts[0])
    print(f"hf: {texts[0]!r} -> {[(e['entity_group'], e['word']) for e in sample]}", file=sys.stderr)
    lat, n, wall = timed(lambda t: pipe(t), texts, 1, args.seconds, args.requests, args.warmup)
    record("hf_pipeline_b1" + sfx, lat, n, wall, 1, note="pipe(text), one message per call" + what)
    groups = batches(texts)
    lat, n, wall = timed(lambda g: pipe(g, batch_size=BATCH), groups, BATCH, args.seconds, args.requests,
                         args.warmup)
    record("hf_pipeline_b32" + sfx, lat, n, wall, BATCH,
           note=f"pipe(list of {BATCH}, batch_size={BATCH})" + what)


def run_ort(args, texts):
    import onnxruntime as ort
    from transformers import AutoTokenizer
    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(args.onnx, so, providers=["CPUExecutionProvider"])
    tok = AutoTokenizer.from_pretrained(args.model)
    assert tok.is_fast, "expected the fast (Rust) tokenizer"

    def feed(enc):
        return {"input_ids": np.asarray(enc["input_ids"], dtype=np.int64),
                "attention_mask": np.asarray(enc["attention_mask"], dtype=np.int64)}

    singles = [feed(tok(t, return_tensors="np")) for t in texts]
    groups = batches(texts)
    padded = [feed(tok(g, padding=True, return_tensors="np")) for g in groups]
    sub = [int(f["attention_mask"].sum()) for f in singles]
    pad_cols = float(np.mean([f["input_ids"].shape[1] for f in padded]))
    print(f"ort: {len(texts)} messages, sub-words per message mean {np.mean(sub):.1f} max {max(sub)}; "
          f"batch-{BATCH} groups padded to {pad_cols:.1f} on average", file=sys.stderr)

    sfx = "" if args.dtype == "fp32" else "_" + args.dtype
    lat, n, wall = timed(lambda f: sess.run(None, f), singles, 1, args.seconds, args.requests, args.warmup)
    record("ort_compute_b1" + sfx, lat, n, wall, 1, note="session.run on pre-tokenized [1, len] inputs")
    lat, n, wall = timed(lambda f: sess.run(None, f), padded, BATCH, args.seconds, args.requests, args.warmup)
    record("ort_compute_b32" + sfx, lat, n, wall, BATCH, note=f"one session.run per {BATCH} messages, padded to the longest",
           mean_padded_len=pad_cols)
    lat, n, wall = timed(lambda t: sess.run(None, feed(tok(t, return_tensors="np"))), texts, 1, args.seconds,
                         args.requests, args.warmup)
    record("ort_tok_b1" + sfx, lat, n, wall, 1, note="fast tokenizer + session.run, one message per call")
    lat, n, wall = timed(lambda g: sess.run(None, feed(tok(g, padding=True, return_tensors="np"))), groups, BATCH,
                         args.seconds, args.requests, args.warmup)
    record("ort_tok_b32" + sfx, lat, n, wall, BATCH, note=f"fast tokenizer on {BATCH} messages (padding=True) + one session.run")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("phase", choices=["hf", "ort"])
    ap.add_argument("--model", required=True)
    ap.add_argument("--onnx")
    ap.add_argument("--dtype", choices=["fp32", "bf16", "int8"], default="fp32",
                    help="hf: the pipeline's model dtype (int8: torch.ao quantize_dynamic on the encoder); "
                         "ort: int8 names the configurations of a dynamically quantized model (--onnx)")
    ap.add_argument("--messages", required=True, help="JSON list of texts")
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--requests", type=int, default=1000, help="minimum timed messages per configuration")
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds of untimed calls first")
    args = ap.parse_args()
    with open(args.messages) as f:
        texts = json.load(f)
    if args.phase == "hf":
        run_hf(args, texts)
    else:
        if not args.onnx:
            ap.error("ort needs --onnx")
        run_ort(args, texts)


if __name__ == "__main__":
    main()
