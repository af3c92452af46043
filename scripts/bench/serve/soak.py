#!/usr/bin/env python3
"""Soak benchmark of triage-serve (docs/benchmarks.md, "Serving soak"): one server on the
quickstart checkpoint; loadgen's closed loop of CLIENTS keep-alive clients runs throughout.
Minute 0 is the unloaded reference (the clients only); then for MINUTES minutes a reload
every RELOAD_S seconds (POST /admin/reload alternating best/ and last/ of the run) and
SLOW slow connections held open (serve_fixture.py's drip: one header byte a second, reopened
when the server closes them at http.header_timeout_s). Per minute: requests/s, p50 and p99
latency, non-200 answers, resident memory (mean of 5 s samples). Goals: throughput and p99
within 10% from the first loaded minute to the last, memory flat within 5%, 0 failed.

  soak.py --serve-bin BIN --loadgen BIN --model DIR --out DIR [--minutes 10] [--clients 32]
          [--slow 200] [--reload-s 30] [--threads 2]
Writes OUT/soak.json and OUT/soak.md; prints the table.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (machine(), messages(), Server, log)

ROOT = bench.ROOT
FIXTURE = os.path.join(ROOT, "tests", "serve_http", "serve_fixture.py")
sys.path.insert(0, os.path.dirname(FIXTURE))
import serve_fixture as fx  # noqa: E402  (rss_mb; its drip runs as a child process)
TOKEN = "soak-token"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve-bin", required=True)
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--model", default=os.path.join(ROOT, "runs", "quickstart", "model", "best"))
    ap.add_argument("--corpus", default=os.path.join(ROOT, "runs", "quickstart", "corpus", "test.jsonl"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=int, default=10)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--slow", type=int, default=200)
    ap.add_argument("--reload-s", type=float, default=30.0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    run_dir = os.path.dirname(os.path.abspath(args.model))
    targets = [os.path.join(run_dir, d) for d in ("last", "best")]
    for t in targets:
        if not os.path.isfile(os.path.join(t, "config.json")):
            raise SystemExit(f"soak.py: {t} is not a checkpoint directory; run scripts/quickstart.sh first")
    bodies = os.path.join(args.out, "bodies.jsonl")
    with open(bodies, "w") as f:
        for t in bench.messages(args.corpus):
            f.write(json.dumps({"text": t}) + "\n")

    os.environ["TRIAGE_ADMIN_TOKEN"] = TOKEN
    srv = bench.Server([args.serve_bin, "--model", targets[1], "--port", "0",
                        "--set", f"runtime.intra_op_threads={args.threads}", "--set", "log.requests=false"],
                       os.path.join(args.out, "serve.log"))
    total_s = 60 * (args.minutes + 1)
    lg_out = os.path.join(args.out, "loadgen.txt")
    warmup = 5.0
    loadgen = subprocess.Popen([args.loadgen, "--host", srv.host, "--port", str(srv.port), "--method", "POST",
                                "--path", "/v1/route", "--clients", str(args.clients), "--bodies", bodies,
                                "--seconds", str(total_s), "--requests", "1", "--warmup-s", str(warmup),
                                "--max-seconds", str(total_s + 60), "--out", lg_out])
    t0 = time.time() + warmup  # the recording starts after loadgen's warm-up
    rss, reloads, stop = [], [], threading.Event()

    def sample():
        while not stop.is_set():
            rss.append((time.time() - t0, fx.rss_mb(srv.p.pid)))
            stop.wait(5.0)

    threading.Thread(target=sample, daemon=True).start()
    time.sleep(warmup + 60)  # minute 0: the unloaded reference
    bench.log(f"minute 0 done; {args.slow} slow connections and a reload every {args.reload_s:.0f} s from now")
    dripper = subprocess.Popen([sys.executable, FIXTURE, "drip", srv.host, str(srv.port), str(args.slow),
                                str(60 * args.minutes)], stdout=subprocess.PIPE, text=True)
    n = 0
    while True:  # reloads start every reload_s seconds from minute 1 on (start to start)
        at = 60 + (n + 1) * args.reload_s
        if at >= total_s - 1:
            break
        time.sleep(max(0.0, at - (time.time() - t0)))
        target = targets[n % 2]
        n += 1
        req = urllib.request.Request(srv.url("/admin/reload"), data=json.dumps({"model": target}).encode(),
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"})
        r0 = time.time()
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
        reloads.append({"at_s": round(r0 - t0, 1), "status": status, "s": round(time.time() - r0, 3)})
    loadgen.wait()
    drip_out, _ = dripper.communicate(timeout=120)
    stop.set()
    metrics = srv.get("/metrics")
    srv.stop()

    with open(lg_out) as f:
        head = f.readline().split()
        rows = np.loadtxt(f, ndmin=2)
    rec_start, _, _, reconnects, errors, _ = (int(x) for x in head[1:7])
    start_s = (rows[:, 0] - rec_start) / 1e9
    lat = (rows[:, 1] - rows[:, 0]) / 1e6
    minutes = []
    for m in range(args.minutes + 1):
        sel = (start_s >= 60 * m) & (start_s < 60 * (m + 1))
        mem = [v for t, v in rss if 60 * m <= t < 60 * (m + 1)]
        minutes.append({"minute": m, "load": "clients only" if m == 0 else "clients + slow + reloads",
                        "requests": int(sel.sum()), "req_per_s": float(sel.sum() / 60.0),
                        "p50_ms": float(np.percentile(lat[sel], 50)), "p99_ms": float(np.percentile(lat[sel], 99)),
                        "non_200": int((rows[sel, 2] != 200).sum()), "rss_mb": float(np.mean(mem)) if mem else None})
    drip = json.loads(drip_out.strip().splitlines()[-1]) if drip_out.strip() else {"closed": [], "open_at_end": 0}
    first, last = minutes[1], minutes[-1]
    res = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": bench.machine(), "model": targets[1],
           "clients": args.clients, "slow_connections": args.slow, "reload_every_s": args.reload_s,
           "intra_op_threads": args.threads, "minutes": minutes, "reloads": reloads,
           "failed_requests": int((rows[:, 2] != 200).sum()) + errors, "loadgen_errors": errors,
           "reconnects": reconnects, "slow_connections_closed_by_server": len(drip["closed"]),
           "failures_metric": {m.group(1): float(m.group(2)) for m in
                               re.finditer(r'^triage_failures_total\{reason="(\w+)"\} (\S+)', metrics, re.M)},
           "throughput_change_first_to_last": last["req_per_s"] / first["req_per_s"] - 1,
           "p99_change_first_to_last": last["p99_ms"] / first["p99_ms"] - 1,
           "rss_change_first_to_last": (last["rss_mb"] / first["rss_mb"] - 1) if first["rss_mb"] else None}
    lines = [f"Soak: {args.clients} clients, {args.slow} slow connections, a reload every {args.reload_s:.0f} s "
             f"({len(reloads)} reloads, statuses {sorted(set(r['status'] for r in reloads))}, "
             f"{min(r['s'] for r in reloads):.2f}-{max(r['s'] for r in reloads):.2f} s each); "
             f"{res['machine']['cpu']}, {res['machine']['cores']} cores", "",
             "| minute | load | requests/s | p50 ms | p99 ms | non-200 | RSS MB |", "|---|---|---|---|---|---|---|"]
    for m in minutes:
        lines.append(f"| {m['minute']} | {m['load']} | {m['req_per_s']:.1f} | {m['p50_ms']:.2f} | {m['p99_ms']:.2f} | "
                     f"{m['non_200']} | {m['rss_mb']:.0f} |")
    lines += ["", f"failed requests {res['failed_requests']} (loadgen errors {errors}, reconnects {reconnects}); "
              f"slow connections closed by the server {len(drip['closed'])}; minute 1 -> {args.minutes}: throughput "
              f"{100 * res['throughput_change_first_to_last']:+.1f}%, p99 {100 * res['p99_change_first_to_last']:+.1f}%, "
              f"RSS {100 * (res['rss_change_first_to_last'] or 0):+.1f}%"]
    with open(os.path.join(args.out, "soak.json"), "w") as f:
        json.dump(res, f, indent=2)
    with open(os.path.join(args.out, "soak.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
