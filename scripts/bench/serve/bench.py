#!/usr/bin/env python3
"""Serving latency benchmark driver (issue 5; docs/benchmarks.md, "Serving latency (CPU)").
Run through scripts/bench/serve/run.sh, which builds triage-serve and the load generator.

  bench.py --model DIR --threads N --serve-bin BIN --loadgen BIN --out DIR
           [--seconds 20] [--requests 1000] [--only hf,ort,ort_int8,serve,serve_bf16,hf_bf16,serve_int8,hf_int8]
           [--wait-calm S]

Same messages for every system: the customer turns of runs/quickstart/corpus/test.jsonl
(--corpus), in file order. Phases, one after another on this machine:
  hf     transformers pipeline, in process (inproc.py hf)
  ort    ONNX Runtime on the exported model (export_onnx.py, then inproc.py ort)
  serve  triage-serve over HTTP, driven by loadgen (C++, keep-alive): GET /healthz at 1 and
         32 clients (the load generator's own cost), POST /v1/route at 1 and 32 clients
  serve_bf16  the same server with runtime.precision=bf16 (POST /v1/route at 1 and 32 clients;
         skipped with a note on CPUs without native bf16 products)
  hf_bf16  the transformers pipeline with the model in bfloat16
  serve_int8  the server with runtime.precision=int8 (1 and 32 clients)
  hf_int8  the pipeline with its encoder's Linear layers quantized by torch.ao quantize_dynamic
  ort_int8  ONNX Runtime on the exported model quantized by onnxruntime's quantize_dynamic (run
         right after ort)
Writes OUT/results.json and OUT/results.md; prints the table.
"""
import argparse
import json
import os
import platform
import re
import select
import signal
import subprocess
import sys
import time
import urllib.request

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
PY = sys.executable
CALM_LOAD = 1.5


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


class CpuMeter:
    """CPU used by other processes during a phase, in cores: all busy time on the machine
    (/proc/stat) minus this driver's and its waited-for children's (os.times)."""

    def __init__(self):
        self.t, self.busy, self.own = time.time(), self._busy(), self._own()

    @staticmethod
    def _busy():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait

    @staticmethod
    def _own():
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def others_cores(self):
        wall = time.time() - self.t
        return max(0.0, ((self._busy() - self.busy) - (self._own() - self.own)) / wall)


def machine():
    name, flags = "unknown", ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name") and name == "unknown":
                name = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = line
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    isa = [x for x in ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16") if f" {x}" in flags]
    return {"cpu": name, "cores": os.cpu_count(), "mem_gib": round(mem_kb / 2**20, 1), "isa": isa,
            "kernel": platform.release()}


def versions():
    out = {"python": platform.python_version()}
    for mod in ("torch", "transformers", "tokenizers", "onnxruntime", "onnx", "onnxscript", "numpy"):
        try:
            out[mod] = __import__(mod).__version__
        except ImportError:
            out[mod] = None
    return out


def messages(corpus):
    texts = []
    with open(corpus) as f:
        for line in f:
            if line.strip():
                texts += [t["text"] for t in json.loads(line)["turns"] if t.get("speaker") == "customer"]
    if not texts:
        raise SystemExit(f"{corpus}: no customer turns")
    return texts


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')} load {loadavg()[0]:.2f}] {msg}", file=sys.stderr, flush=True)


def run_json_lines(cmd, env=None):
    log(" ".join(cmd))
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    for line in r.stderr.splitlines():
        if not re.search(r"warn|Warning|UNEXPECTED|can be ignored|^\s*$|Key\s+\|", line):
            print("   " + line, file=sys.stderr)
    if r.returncode != 0:
        print(r.stderr[-4000:], file=sys.stderr)
        raise SystemExit(f"failed ({r.returncode}): {' '.join(cmd)}")
    return [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]


def phase_env(threads):
    env = dict(os.environ)
    # the tokenizer's Rust thread pool gets the same budget as the model's
    env.update({"RAYON_NUM_THREADS": str(threads), "TOKENIZERS_PARALLELISM": "true" if threads > 1 else "false",
                "OMP_NUM_THREADS": str(threads)})
    return env


# --- triage-serve --------------------------------------------------------------------

class Server:
    def __init__(self, cmd, log_path, timeout_s=300):
        self.cmd = cmd
        self.log_f = open(log_path, "w")
        log("starting " + " ".join(cmd))
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log_f, text=True)
        deadline = time.time() + timeout_s
        line = ""
        while time.time() < deadline:
            if self.p.poll() is not None:
                raise SystemExit(f"server exited with {self.p.returncode} before listening; see {log_path}")
            ready, _, _ = select.select([self.p.stdout], [], [], 0.5)
            if ready:
                line = self.p.stdout.readline()
                m = re.match(r"triage-serve listening on http://(\S+):(\d+)\s*$", line)
                if m:
                    self.host, self.port = m.group(1), int(m.group(2))
                    self.started_after_s = timeout_s - (deadline - time.time())
                    return
                if line:
                    print("   server stdout: " + line.rstrip(), file=sys.stderr)
        self.stop()
        raise SystemExit(f"no 'triage-serve listening on' line within {timeout_s} s; see {log_path}")

    def url(self, path):
        return f"http://{self.host}:{self.port}{path}"

    def get(self, path):
        with urllib.request.urlopen(self.url(path), timeout=30) as r:
            return r.read().decode()

    def post(self, path, obj):
        req = urllib.request.Request(self.url(path), data=json.dumps(obj).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.log_f.close()
        return self.p.returncode


def metric_sums(text, name):
    """Sum and count of a Prometheus histogram, over all its label sets."""
    s = c = 0.0
    for line in text.splitlines():
        if line.startswith(name + "_sum"):
            s += float(line.split()[-1])
        elif line.startswith(name + "_count"):
            c += float(line.split()[-1])
    return s, c


def run_loadgen(args, srv, name, clients, method, path, bodies, out_dir):
    out = os.path.join(out_dir, f"loadgen_{name}.txt")
    cmd = [args.loadgen, "--host", srv.host, "--port", str(srv.port), "--method", method, "--path", path,
           "--clients", str(clients), "--seconds", str(args.seconds), "--requests", str(args.requests),
           "--warmup-s", str(args.warmup), "--max-seconds", str(max(120.0, 6 * args.seconds)), "--out", out]
    if bodies:
        cmd += ["--bodies", bodies]
    before = srv.get("/metrics") if method == "POST" else ""
    la0 = loadavg()
    log(f"{name}: {clients} client(s) {method} {path}")
    subprocess.run(cmd, check=True)
    la1 = loadavg()
    after = srv.get("/metrics") if method == "POST" else ""
    with open(out) as f:
        head = f.readline().split()
        rows = np.loadtxt(f, ndmin=2) if os.path.getsize(out) > len(head) else np.zeros((0, 7))
    rec_start, stop_at, _, reconnects, _, complete = (int(x) for x in head[1:7])
    wall = (stop_at - rec_start) / 1e9
    lat = (rows[:, 1] - rows[:, 0]) / 1e6
    ok = rows[:, 2] == 200
    r = {"config": name, "clients": clients, "method": method, "path": path, "requests": int(len(rows)),
         "non_200": int((~ok).sum()), "reconnects": reconnects, "complete": bool(complete), "wall_s": wall,
         "req_per_s": len(rows) / wall, "p50_ms": float(np.percentile(lat, 50)),
         "p90_ms": float(np.percentile(lat, 90)), "p99_ms": float(np.percentile(lat, 99)),
         "mean_ms": float(lat.mean()), "max_ms": float(lat.max()), "loadavg_before": la0, "loadavg_after": la1}
    if method == "POST":
        t = rows[ok]
        for i, k in enumerate(("tokenize", "queue", "inference", "total")):
            col = t[:, 3 + i]
            col = col[col >= 0]
            if len(col):
                r[f"server_{k}_p50_ms"] = float(np.percentile(col, 50))
                r[f"server_{k}_mean_ms"] = float(col.mean())
                r[f"server_{k}_p99_ms"] = float(np.percentile(col, 99))
        bs0, bc0 = metric_sums(before, "triage_batch_size")
        bs1, bc1 = metric_sums(after, "triage_batch_size")
        if bc1 > bc0:
            r["mean_batch_size"] = (bs1 - bs0) / (bc1 - bc0)
            r["batches"] = bc1 - bc0
    log(f"{name}: {r['requests']} requests, p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, "
        f"{r['req_per_s']:.1f} req/s, non-200 {r['non_200']}, reconnects {reconnects}")
    return r


def run_serve(args, bodies, out_dir, extra_sets=(), suffix="", healthz=True):
    def git(*a):
        return subprocess.run(["git", "-C", ROOT, *a], capture_output=True, text=True).stdout.strip()
    source = {"serve_commit": git("log", "-1", "--format=%h %s", "--", "serve/", "model/"),
              "uncommitted_changes": git("status", "--porcelain", "--", "serve/", "model/", "data/").splitlines()}
    cmd = [args.serve_bin, "--model", args.model, "--port", "0", "--set",
           f"runtime.intra_op_threads={args.threads}"] + [x for s in args.serve_set + list(extra_sets)
                                                          for x in ("--set", s)]
    srv = Server(cmd, os.path.join(out_dir, f"server{suffix}.log"))
    res = {"command": cmd, "source": source, "started_after_s": srv.started_after_s, "runs": []}
    try:
        try:
            res["info"] = json.loads(srv.get("/v1/info"))
        except Exception as e:  # informative only
            res["info"] = f"unavailable: {e}"
        sample = srv.post("/v1/route", {"text": json.loads(open(bodies).readline())["text"]})
        res["sample_answer"] = sample
        log(f"sample answer: {json.dumps(sample)[:400]}")
        for name, clients, method, path, b in (("healthz_c1", 1, "GET", "/healthz", None),
                                               ("route_c1", 1, "POST", "/v1/route", bodies),
                                               ("healthz_c32", 32, "GET", "/healthz", None),
                                               ("route_c32", 32, "POST", "/v1/route", bodies)):
            if healthz or not name.startswith("healthz"):
                res["runs"].append(run_loadgen(args, srv, name + suffix, clients, method, path, b, out_dir))
    finally:
        res["exit_code"] = srv.stop()
    return res


# --- report --------------------------------------------------------------------------

PRECISIONS = (("", "fp32"), ("_bf16", "bf16"), ("_int8", "int8"))  # configuration suffix, precision
PHASES = ("hf", "ort", "ort_int8", "serve", "serve_bf16", "hf_bf16", "serve_int8", "hf_int8")  # in run order


def table(res):
    rows = []
    by = {r["config"]: r for ph in PHASES if not ph.startswith("serve") for r in res.get(ph, {}).get("runs", [])}
    sv = {r["config"]: r for ph in PHASES if ph.startswith("serve") for r in res.get(ph, {}).get("runs", [])}

    def add(system, timed, load, r, per="message"):
        if r is None:
            return
        rate = r.get("msgs_per_s", r.get("req_per_s"))
        n = r.get("messages", r.get("requests"))
        rows.append(f"| {system} | {timed} | {load} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {rate:,.1f} | {n:,} |")

    for sfx, prec in PRECISIONS:
        add(f"triage-serve, {prec}", "POST /v1/route over HTTP, end to end", "1 client", sv.get("route_c1" + sfx))
        add(f"triage-serve, {prec}", "POST /v1/route over HTTP, end to end", "32 clients", sv.get("route_c32" + sfx))
        add(f"HF pipeline, {prec}", "pipe(text): tokenize, forward, aggregate", "1 caller",
            by.get("hf_pipeline_b1" + sfx))
        add(f"HF pipeline, {prec}", "pipe(list of 32, batch_size=32), per call", "batch 32",
            by.get("hf_pipeline_b32" + sfx))
        add(f"ONNX Runtime, {prec}", "session.run, pre-tokenized", "batch 1", by.get("ort_compute_b1" + sfx))
        add(f"ONNX Runtime, {prec}", "session.run, pre-tokenized, per call", "batch 32", by.get("ort_compute_b32" + sfx))
        add(f"ONNX Runtime + tokenizer, {prec}", "fast tokenizer + session.run", "batch 1", by.get("ort_tok_b1" + sfx))
        add(f"ONNX Runtime + tokenizer, {prec}", "fast tokenizer + session.run, per call", "batch 32",
            by.get("ort_tok_b32" + sfx))
    add("load generator check", "GET /healthz over HTTP", "1 client", sv.get("healthz_c1"))
    add("load generator check", "GET /healthz over HTTP", "32 clients", sv.get("healthz_c32"))
    head = ["| system | what is timed | load | p50 ms | p99 ms | messages/s | timed messages |",
            "|---|---|---|---:|---:|---:|---:|"]
    lines = head + rows
    for sfx, _ in PRECISIONS:
        for name in ("route_c1" + sfx, "route_c32" + sfx):
            r = sv.get(name)
            if r and "server_total_p50_ms" in r:
                parts = ", ".join(f"{k} {r.get(f'server_{k}_p50_ms', float('nan')):.2f}"
                                  for k in ("tokenize", "queue", "inference", "total"))
                mb = f"; mean batch {r['mean_batch_size']:.1f}" if "mean_batch_size" in r else ""
                lines.append(f"\n{name}: server timing_ms p50: {parts}{mb}")
    ortb1, hf1 = by.get("ort_compute_b1"), by.get("hf_pipeline_b1")
    for sfx, prec in PRECISIONS:
        c1 = sv.get("route_c1" + sfx)
        if not c1:
            continue
        goal = not sfx
        parts = []
        for ref, what in ((ortb1, "ORT compute (fp32)"), (by.get("ort_compute_b1" + sfx) if sfx else None,
                                                         f"ORT compute ({prec})")):
            if ref:
                parts.append(f"triage {prec} p50 / {what} p50 = {c1['p50_ms'] / ref['p50_ms']:.2f}"
                             + (" (goal <= 1)" if goal else ""))
        for ref, what in ((hf1, "HF pipeline (fp32)"), (by.get("hf_pipeline_b1" + sfx) if sfx else None,
                                                        f"HF pipeline ({prec})")):
            if ref:
                parts.append(f"{what} p50 / triage {prec} p50 = {ref['p50_ms'] / c1['p50_ms']:.2f}"
                             + (" (goal >= 5)" if goal else ""))
        if parts:
            lines.append(("\n" if goal else "") + "; ".join(parts))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--serve-bin", required=True)
    ap.add_argument("--serve-set", action="append", default=[], help="extra --set key=value for the server")
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--corpus", default=os.path.join(ROOT, "runs", "quickstart", "corpus", "test.jsonl"))
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--only", default=",".join(PHASES))
    ap.add_argument("--wait-calm", type=float, default=0.0,
                    help=f"wait up to this many seconds for the 1-minute load average to drop to {CALM_LOAD}")
    args = ap.parse_args()
    args.model = os.path.abspath(args.model)
    phases = args.only.split(",")
    os.makedirs(args.out, exist_ok=True)

    if args.wait_calm > 0:
        t_end = time.time() + args.wait_calm
        while loadavg()[0] > CALM_LOAD and time.time() < t_end:
            log(f"waiting for load <= {CALM_LOAD}")
            time.sleep(30)

    texts = messages(args.corpus)
    msg_file = os.path.join(args.out, "messages.json")
    bodies = os.path.join(args.out, "bodies.jsonl")
    with open(msg_file, "w") as f:
        json.dump(texts, f)
    with open(bodies, "w") as f:
        for t in texts:
            f.write(json.dumps({"text": t}) + "\n")

    res = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": machine(), "versions": versions(),
           "threads": args.threads, "model": args.model,
           "messages": {"source": args.corpus, "selection": "customer turns, file order", "count": len(texts),
                        "mean_chars": float(np.mean([len(t) for t in texts]))},
           "timing": {"min_seconds": args.seconds, "min_messages": args.requests, "warmup_s": args.warmup,
                      "percentiles": "numpy.percentile, linear interpolation"},
           "loadavg_before": loadavg()}
    from transformers import AutoTokenizer
    sub = [len(x) for x in AutoTokenizer.from_pretrained(args.model)(texts)["input_ids"]]
    res["messages"].update({"subwords_mean": float(np.mean(sub)), "subwords_median": float(np.median(sub)),
                            "subwords_max": int(max(sub)), "subwords_note": "special tokens included"})
    log(f"machine {res['machine']}; threads {args.threads}; {len(texts)} messages, "
        f"{np.mean(sub):.1f} sub-words on average")
    env = phase_env(args.threads)
    inproc = os.path.join(HERE, "inproc.py")
    common = ["--model", args.model, "--messages", msg_file, "--threads", str(args.threads),
              "--seconds", str(args.seconds), "--requests", str(args.requests), "--warmup", str(args.warmup)]

    def measured(run):
        """run() -> its result dict, with the load average and other processes' CPU around it."""
        la0, meter = loadavg(), CpuMeter()
        r = run()
        r.update({"loadavg_before": la0, "loadavg_after": loadavg(), "other_processes_cores": meter.others_cores()})
        return r

    def hf_phase(prec):
        return measured(lambda: {"runs": run_json_lines([PY, inproc, "hf", "--dtype", prec] + common, env)})

    if "hf" in phases:  # the run order of the committed results: hf, ort, then triage and hf per precision
        res["hf"] = hf_phase("fp32")
    if "ort" in phases or "ort_int8" in phases:
        onnx_path = os.path.join(args.out, "model.onnx")
        int8_path = os.path.join(args.out, "model.int8.onnx")
        exp = run_json_lines([PY, os.path.join(HERE, "export_onnx.py"), args.model, onnx_path, "--messages", msg_file]
                             + (["--int8", int8_path] if "ort_int8" in phases else []))
        session = {"intra_op_num_threads": args.threads, "inter_op_num_threads": 1, "execution_mode": "ORT_SEQUENTIAL",
                   "graph_optimization_level": "ORT_ENABLE_ALL", "providers": ["CPUExecutionProvider"]}
        for ph, path, extra in (("ort", onnx_path, []), ("ort_int8", int8_path, ["--dtype", "int8"])):
            if ph in phases:
                res[ph] = measured(lambda: {"export": exp[-1], "session": session, "runs": run_json_lines(
                    [PY, inproc, "ort", "--onnx", path] + extra + common, env)})
        for path in (onnx_path, int8_path):  # 90 MB, rebuilt in 15 s
            if os.path.exists(path):
                os.remove(path)
    for sfx, prec in PRECISIONS:
        if "serve" + sfx in phases:
            if not os.access(args.serve_bin, os.X_OK):
                res["serve" + sfx] = {"error": f"{args.serve_bin} not built"}
            elif prec == "bf16" and not {"avx512_bf16", "amx_bf16"} & set(res["machine"]["isa"]):
                res["serve" + sfx] = {"skipped": "this CPU has no native bf16 products (avx512_bf16 / amx_bf16)"}
            else:  # healthz (the load generator's own cost) once, with the default server
                res["serve" + sfx] = measured(lambda: run_serve(
                    args, bodies, args.out, extra_sets=[f"runtime.precision={prec}"] if sfx else [], suffix=sfx,
                    healthz=not sfx))
            for why in ("error", "skipped"):
                if why in res["serve" + sfx]:
                    log(res["serve" + sfx][why])
        if sfx and "hf" + sfx in phases:
            res["hf" + sfx] = hf_phase(prec)
    res["loadavg_after"] = loadavg()
    others = {ph: round(res[ph]["other_processes_cores"], 2) for ph in PHASES
              if "other_processes_cores" in res.get(ph, {})}
    res["other_processes_cores"] = others
    # the benchmark itself keeps THREADS cores busy, so the load average after a phase
    # includes it; judge calm by the load before and by the CPU others used meanwhile
    busy = res["loadavg_before"][0] > CALM_LOAD or any(v > 0.25 for v in others.values())
    res["calm"] = not busy
    md = table(res)
    note = (f"\nmachine: {res['machine']['cpu']}, {res['machine']['cores']} cores; threads {args.threads}; "
            f"torch {res['versions']['torch']}, transformers {res['versions']['transformers']}, "
            f"onnxruntime {res['versions']['onnxruntime']}; load average before {res['loadavg_before']}, "
            f"after {res['loadavg_after']}; CPU used by other processes per phase (cores): {others}"
            + (" (BUSY: rerun when calmer)" if busy else ""))
    md += "\n" + note + "\n"
    res["table_md"] = md
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(md)
    print(md)


if __name__ == "__main__":
    main()
