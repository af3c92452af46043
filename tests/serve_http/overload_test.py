#!/usr/bin/env python3
"""triage-serve under overload on loopback: 429 queue_full with Retry-After when more than
batch.max_queue requests wait, and 504 deadline_exceeded for a request whose deadline_ms
passes while it waits behind slow work; the server still answers afterwards and counts both
in triage_failures_total.

To be slow on purpose it serves a bigger random model (hidden 256, 4 layers, 128-token
windows) with one intra-op thread and two windows per forward batch; the long request is
calibrated (doubled until one takes >= 0.5 s alone) so the test holds on fast and slow
machines. Exit 0 pass, 1 fail, 77 skipped.
"""
import collections
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_fixture as fx  # noqa: E402


def long_text(words):
    return " ".join(f"my order A-{i} for the router arrived broken" for i in range(words // 8))


def main():
    fx.require()
    c = fx.Checks()
    tmp = fx.tmpdir("serve-overload")
    model = fx.checkpoint(os.path.join(tmp, "slow"), seed=3, hidden=256, layers=4, heads=4, intermediate=1024,
                          max_seq_len=128, stride=32)
    sets = ["runtime.intra_op_threads=1", "batch.max_size=2", "batch.max_queue=3", "http.threads=32",
            "limits.max_subwords=200000", "limits.max_text_chars=400000"]
    srv = fx.Server(model, tmp, sets=sets)
    print(f"server up on port {srv.port} in {srv.start_s:.1f} s")
    try:
        # calibrate: one long request alone takes >= 0.5 s
        words, took = 800, 0.0
        while True:
            text = long_text(words)
            t0 = time.time()
            r = srv.post("/v1/route", {"text": text}, timeout=120)
            took = time.time() - t0
            if not c.check(r.status == 200, f"calibration request answered: {r}"):
                return c.done("serve_http_overload", tmp)
            if took >= 0.5 or words >= 51200:
                break
            words *= 2
        print(f"long request: {words} words, {took:.2f} s alone")

        # 429: 24 long requests at once against max_queue 3
        results, lock = [], threading.Lock()
        barrier = threading.Barrier(24)

        def client():
            try:
                cl = fx.Client(srv.host, srv.port, timeout=120).connect()
            except OSError as e:
                barrier.wait()
                with lock:
                    results.append(e)
                return
            barrier.wait()
            try:
                r = cl.post("/v1/route", {"text": text})
            except OSError as e:
                r = e
            cl.close()
            with lock:
                results.append(r)

        threads = [threading.Thread(target=client) for _ in range(24)]
        t0 = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = [str(r.status) if isinstance(r, fx.Response) else repr(r) for r in results]
        print(f"flood of 24 in {time.time() - t0:.1f} s: {dict(collections.Counter(codes))}")
        c.check(all(isinstance(r, fx.Response) and r.status in (200, 429) for r in results),
                f"every flood answer is 200 or 429: {codes}")
        full = [r for r in results if isinstance(r, fx.Response) and r.status == 429]
        c.check(len(full) >= 1, "at least one 429 while the queue is full")
        c.check(any(r.status == 200 for r in results if isinstance(r, fx.Response)), "the admitted requests answered 200")
        for r in full[:3]:
            err = r.json().get("error", {})
            c.check(err.get("reason") == "queue_full" and err.get("code") == 429, f"429 body reason queue_full: {err}")
            c.check(r.header("Retry-After") == "1", f"429 has Retry-After: 1 (got {r.header('Retry-After')!r})")

        # 504: a short request with a small deadline queued behind two long ones
        got504 = []
        for attempt in range(5):
            bg = [threading.Thread(target=lambda: srv.post("/v1/route", {"text": text}, timeout=120)) for _ in range(2)]
            for t in bg:
                t.start()
                time.sleep(0.05)
            time.sleep(0.1)
            t0 = time.time()
            r = srv.post("/v1/route", {"text": "where is my order A-1?", "deadline_ms": 50, "id": f"late-{attempt}"})
            waited = time.time() - t0
            for t in bg:
                t.join()
            print(f"deadline attempt {attempt}: {r.status} after {waited * 1000:.0f} ms")
            c.check(r.status in (200, 504), f"deadline request answered 200 or 504: {r}")
            if r.status == 504:
                got504.append((r, waited))
                break
        if c.check(got504, "a 504 for deadline_ms=50 behind >= 1 s of queued work (5 attempts)"):
            r, waited = got504[0]
            err = r.json().get("error", {})
            c.check(err.get("reason") == "deadline_exceeded" and err.get("code") == 504, f"504 body: {err}")
            c.check(r.json().get("id") == r.header("X-Request-Id") and r.header("X-Request-Id").startswith("late-"),
                    "504 carries the request id")
            c.check(waited < took * 2 + 1.0, f"the 504 comes without waiting for all the work ahead ({waited:.2f} s)")

        # the server keeps serving; failures counted
        r = srv.post("/v1/route", {"text": "hello again", "deadline_ms": 60000})
        c.check(r.status == 200, f"200 after the overload: {r}")
        c.check(srv.call("GET", "/healthz").status == 200, "alive after the overload")
        m = srv.call("GET", "/metrics").body.decode()
        c.check((fx.metric_value(m, "triage_failures_total", {"reason": "queue_full"}) or 0) >= len(full),
                "triage_failures_total{reason=queue_full} counts the 429s")
        c.check((fx.metric_value(m, "triage_failures_total", {"reason": "deadline"}) or 0) >= len(got504),
                "triage_failures_total{reason=deadline} counts the 504s")
        c.check((fx.metric_value(m, "triage_requests_total", {"code": "429"}) or 0) >= len(full), "requests_total{code=429}")
        c.check(fx.metric_value(m, "triage_queue_depth") == 0, "queue depth back to 0")
    finally:
        rc = srv.stop()
        c.check(rc == 0, f"exit code 0 after SIGTERM (got {rc})")
        if c.failures:
            print("server log tail:\n" + srv.log_tail())
    return c.done("serve_http_overload", tmp)


if __name__ == "__main__":
    sys.exit(main())
