"""Shared set-up of the multi-process training tests (tests/train/dist_*.py): a tiny random
BERT (transformers, MiniLM's uncased vocabulary), a small generated corpus, and helpers to
run triage-train as one process, as N ranks through --nproc-per-node or torchrun, or as
hand-made ranks with the torchrun environment, and to compare saved weights.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("TRIAGE_BIN_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build", "bin"))
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TRAIN = os.path.join(BIN, "triage-train")
SKIP = 77


class Skip(Exception):
    pass


def setup(prefix, dropout=0.0, train_examples=160):
    """Returns (tmp dir, base model dir, corpus dir). Raises Skip without the oracles."""
    try:
        import torch
        from transformers import BertConfig, BertModel
    except ImportError as e:
        raise Skip(f"python oracle unavailable ({e})")
    if not os.path.exists(TRAIN):
        raise Skip(f"{TRAIN} not built")
    tmp = tempfile.mkdtemp(prefix=prefix)
    base = os.path.join(tmp, "tiny-base")
    vocab_dir = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "minilm_path.py")],
                               check=True, capture_output=True, text=True).stdout.strip()
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=48, max_position_embeddings=128, hidden_dropout_prob=dropout,
                     attention_probs_dropout_prob=dropout)
    BertModel(cfg).save_pretrained(base)
    for f in ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"):
        shutil.copy(os.path.join(vocab_dir, f), base)
    corpus = os.path.join(tmp, "corpus")
    subprocess.run([os.path.join(BIN, "triage-data"), "generate", corpus, "--seed", "3", "--train",
                    str(train_examples), "--dev", "24", "--test", "24"], check=True, capture_output=True)
    return tmp, base, corpus


def common_args(base, corpus, **overrides):
    s = {"model.base": base, "model.max_seq_len": 64, "data.train": f"{corpus}/train.jsonl",
         "data.dev": f"{corpus}/dev.jsonl", "run.batch_size": 8, "run.threads": 1, "optim.lr": 1e-3,
         "run.log_every": 1, "run.epochs": 100, "dist.timeout_s": 30}
    s.update(overrides)
    out = []
    for k, v in s.items():
        out += ["--set", f"{k}={v}"]
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_one_thread():
    e = dict(os.environ)
    e["OMP_NUM_THREADS"] = "1"
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        e.pop(k, None)
    return e


def run(cmd, timeout=120):
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env_one_thread(), timeout=timeout)
    return r, time.time() - t0


def torchrun_cmd(nproc):
    exe = os.path.join(os.path.dirname(sys.executable), "torchrun")
    if not os.path.exists(exe):
        return None
    return [exe, "--no-python", "--nproc-per-node", str(nproc), "--master-port", str(free_port()), TRAIN]


def load_weights(path):
    from safetensors.numpy import load_file
    return load_file(path)


def max_abs_diff(a_path, b_path):
    import numpy as np
    a, b = load_weights(a_path), load_weights(b_path)
    if sorted(a) != sorted(b):
        raise AssertionError(f"tensor names differ: {sorted(set(a) ^ set(b))}")
    worst, name = 0.0, ""
    for k in a:
        d = float(np.max(np.abs(a[k].astype(np.float64) - b[k].astype(np.float64)))) if a[k].size else 0.0
        if d > worst:
            worst, name = d, k
    return worst, name


def records(out_dir, kind):
    return [json.loads(l) for l in open(os.path.join(out_dir, "metrics.jsonl")) if l.strip() and
            json.loads(l).get("type") == kind]


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def descendants(pid):
    out = []
    for c in children(pid):
        out.append(c)
        out += descendants(c)
    return out


def environ_of(pid):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return dict(x.split(b"=", 1) for x in f.read().split(b"\0") if b"=" in x)
    except OSError:
        return {}


def kill_tree(p):
    for c in descendants(p.pid):
        try:
            os.kill(c, signal.SIGKILL)
        except OSError:
            pass
    try:
        p.kill()
    except OSError:
        pass
