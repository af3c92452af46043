#!/usr/bin/env python3
"""Resident memory stays flat across hot reloads (docs/serving.md, "Reload"): two checkpoints
of ~45 MB of weights each (hidden 256, 4 layers, MiniLM's vocabulary), 50 reloads through
POST /admin/reload alternating between them, one /v1/route after each (so each snapshot
runs batches and is then retired). Asserts: every reload and request 200; VmRSS after the
50th reload within 10% of after the 2nd (each read once the retired snapshot is freed: it
is, on the loader thread, after its last batch). Prints RSS after start and after reloads 2, 10,
20, 30, 40, 50.
(The server runs every load on one loader thread, serve/model_loader.h: with loads on the HTTP
threads glibc kept each thread's arena with the freed model in it, +95 MB per reload of the
quickstart model; no malloc_trim or allocator setting is needed.)
Exit 0 pass, 1 fail, 77 skipped.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_fixture as fx  # noqa: E402

TOKEN = "mem-token"
RELOADS = 50


def settled_rss_mb(pid, window=3.0):
    """RSS once the retired snapshot is freed: the loader thread frees it after its last batch,
    in the background and at a lower priority, so that can take a moment. The smallest of
    0.25 s samples over `window` seconds (right after a reload both snapshots are resident)."""
    best, end = float("inf"), time.time() + window
    while time.time() < end:
        best = min(best, fx.rss_mb(pid))
        time.sleep(0.25)
    return best


def main():
    fx.require()
    if not os.path.exists("/proc/self/status"):
        fx.skip("no /proc (resident memory is read from /proc/PID/status)")
    c = fx.Checks()
    tmp = fx.tmpdir("serve-reload-mem")
    dirs = [fx.checkpoint(os.path.join(tmp, name), seed=seed, hidden=256, layers=4, heads=4, intermediate=1024,
                          max_seq_len=128, stride=32) for name, seed in (("a", 11), ("b", 12))]
    srv = fx.Server(dirs[0], tmp, sets=["runtime.intra_op_threads=2"], env={"TRIAGE_ADMIN_TOKEN": TOKEN})
    auth = {"Authorization": f"Bearer {TOKEN}"}
    rss = {0: fx.rss_mb(srv.proc.pid)}
    try:
        for n in range(1, RELOADS + 1):
            r = srv.post("/admin/reload", {"model": dirs[n % 2]}, headers=auth, timeout=120)
            if not c.check(r.status == 200, f"reload {n}: 200: {r}"):
                break
            r = srv.post("/v1/route", {"text": fx.TEXTS[n % len(fx.TEXTS)]})
            c.check(r.status == 200, f"request after reload {n}: 200: {r}")
            rss[n] = settled_rss_mb(srv.proc.pid) if n in (2, RELOADS) else fx.rss_mb(srv.proc.pid)
        shown = {k: round(v) for k, v in rss.items() if k in (0, 2, 10, 20, 30, 40, 50)}
        print(f"VmRSS MB after start and after reload n: {shown}")
        if 2 in rss and RELOADS in rss:
            c.check(rss[RELOADS] <= 1.10 * rss[2],
                    f"RSS after reload {RELOADS} ({rss[RELOADS]:.0f} MB) within 10% of after reload 2 ({rss[2]:.0f} MB)")
    finally:
        rc = srv.stop()
        c.check(rc == 0, f"exit code 0 after SIGTERM (got {rc})")
        if c.failures:
            print("server log tail:\n" + srv.log_tail())
    return c.done("serve_http_reload_memory", tmp)


if __name__ == "__main__":
    sys.exit(main())
