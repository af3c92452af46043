#!/usr/bin/env python3
"""triage-train's MLflow tracking (track.mlflow_uri, issue 19) against a real MLflow tracking
server from PyPI (`mlflow server`, sqlite store) started here on loopback and stopped after:

- a short run on a tiny random BERT: mlflow.MlflowClient.get_run finds the run summary.json
  names, FINISHED, with the resolved config as params (optim.lr, run.seed, ...), every train and
  eval metric of metrics.jsonl at the same steps (values as float32), the test metrics and the
  best checkpoint's path as a tag;
- the same run with the server down (a closed port): training finishes (exit 0), the failed
  calls are counted in summary.json and warned about once.

Exit 0 pass, 1 fail, 77 skipped. Env: TRIAGE_BIN_DIR.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("TRIAGE_BIN_DIR", os.path.join(ROOT, "build", "bin"))
sys.path.insert(0, HERE)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    try:
        import mlflow  # noqa: F401
        import numpy as np
        import torch
        from mlflow.tracking import MlflowClient
    except ImportError as e:
        print(f"SKIP: mlflow / torch unavailable ({e})")
        return 77
    from tiny_families import save_tiny_base
    tmp = tempfile.mkdtemp(prefix="triage-mlflow-")
    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
                               "--backend-store-uri", f"sqlite:///{tmp}/mlflow.db", "--default-artifact-root",
                               f"{tmp}/artifacts", "--workers", "1"],
                              stdout=open(f"{tmp}/server.log", "w"), stderr=subprocess.STDOUT)
    fails = []
    try:
        t0 = time.time()
        while time.time() - t0 < 90:
            try:
                urllib.request.urlopen(f"{uri}/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            print("FAIL: mlflow server did not start:", open(f"{tmp}/server.log").read()[-2000:])
            return 1
        print(f"mlflow server up in {time.time() - t0:.1f} s")
        subprocess.run([os.path.join(BIN, "triage-data"), "generate", f"{tmp}/c", "--seed", "4", "--train", "48",
                        "--dev", "12", "--test", "12"], check=True, capture_output=True)
        base = save_tiny_base("bert", f"{tmp}/base")
        train = [os.path.join(BIN, "triage-train"), "--set", f"model.base={base}", "--set", "model.max_seq_len=64",
                 "--set", f"data.train={tmp}/c/train.jsonl", "--set", f"data.dev={tmp}/c/dev.jsonl",
                 "--set", f"data.test={tmp}/c/test.jsonl", "--set", "run.threads=1", "--set", "run.batch_size=8",
                 "--set", "run.epochs=2", "--set", "run.log_every=2", "--set", "run.eval_every=3",
                 "--set", "track.experiment=triage-e2e"]
        r = subprocess.run(train + ["--set", f"run.output_dir={tmp}/run", "--set", f"track.mlflow_uri={uri}"],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            print("FAIL: training:", r.stderr[-2000:])
            return 1
        summary = json.load(open(f"{tmp}/run/summary.json"))
        run_id = summary.get("mlflow", {}).get("run_id")
        if summary.get("mlflow", {}).get("failed_calls") != 0:
            fails.append(f"failed calls with the server up: {summary.get('mlflow')}")
        client = MlflowClient(tracking_uri=uri)
        run = client.get_run(run_id)
        if run.info.status != "FINISHED" or run.info.run_name != "run":
            fails.append(f"status {run.info.status}, name {run.info.run_name}")
        if client.get_experiment(run.info.experiment_id).name != "triage-e2e":
            fails.append("experiment name")
        p = run.data.params
        for k, want in (("optim.lr", None), ("run.seed", "42"), ("model.max_seq_len", "64"), ("data.train", f"{tmp}/c/train.jsonl")):
            if k not in p or (want is not None and p[k] != want):
                fails.append(f"param {k}: {p.get(k)!r}")
        want = {}
        for rec in (json.loads(l) for l in open(f"{tmp}/run/metrics.jsonl")):
            if rec.get("type") in ("train", "eval"):
                for k, v in rec.items():
                    if isinstance(v, (int, float)) and k not in ("step", "epoch", "elapsed_s"):
                        want.setdefault(f"{rec['type']}/{k}", []).append((rec["step"], v))
        for key, pts in want.items():
            hist = sorted((m.step, m.value) for m in client.get_metric_history(run_id, key))
            if [s for s, _ in hist] != [s for s, _ in pts] or any(
                    np.float32(a) != np.float32(b) and abs(a - b) > 1e-9 * max(1, abs(b)) for (_, a), (_, b) in zip(hist, pts)):
                fails.append(f"metric {key}: {hist[:3]} vs {pts[:3]}")
        for k, v in summary["test"].items():
            got = run.data.metrics.get(f"test/{k}")
            if got is None or abs(got - v) > 1e-9:
                fails.append(f"test/{k}: {got} vs {v}")
        if run.data.tags.get("best_checkpoint") != os.path.abspath(summary["best_dir"]):
            fails.append(f"best_checkpoint tag {run.data.tags.get('best_checkpoint')!r}")
        n = sum(len(v) for v in want.values())
        print(f"run {run_id}: {len(p)} params, {n} metric points of {len(want)} keys, test metrics, tags")

        # server down: training goes on
        t1 = time.time()
        r = subprocess.run(train + ["--set", f"run.output_dir={tmp}/down", "--set", f"track.mlflow_uri=http://127.0.0.1:{free_port()}",
                                    "--set", "run.epochs=1"], capture_output=True, text=True, timeout=300)
        down = json.load(open(f"{tmp}/down/summary.json")) if r.returncode == 0 else {}
        warnings = r.stderr.count("MLflow tracking at")
        if r.returncode != 0 or down.get("mlflow", {}).get("failed_calls", 0) < 1 or warnings != 1:
            fails.append(f"server down: rc {r.returncode}, {down.get('mlflow')}, {warnings} warnings")
        print(f"server down: exit {r.returncode} in {time.time() - t1:.1f} s, {down.get('mlflow')}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    for f in fails:
        print("  FAIL:", f)
    if fails:
        print(f"mlflow_e2e: {len(fails)} failures (kept {tmp})")
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    print("mlflow_e2e: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
