#!/usr/bin/env python3
"""Batch invariance through the real server: 64 different /v1/route requests sent at once
(so the batching loop pads and batches them together) give the same answers as the same
requests sent one by one (the 64 connections are opened first, then all requests sent at
once; http.threads=64 so every one is in flight together): entities (label, start, end, text) and intent label, alternatives
and route equal; every score equal to 1e-4 (+ rounding of the 4-decimal scores). Texts
vary in length (1 to several windows), script and form (text / turns).
Exit 0 pass, 1 fail, 77 skipped.
"""
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_fixture as fx  # noqa: E402

TOL = 1e-4 + 1e-6  # scores are rounded to 4 decimals: a float difference under 1e-4 shows as at most 1e-4


def requests_set():
    rng = random.Random(5)
    words = ("refund order A-12345 broken charged $1,200.50 twice account ACC-7788 locked error E-4012 "
             "router café naïve 我的订单 😀 please help shipping late invoice email jane@example.com").split()
    out = []
    for i in range(64):
        if i % 8 == 7:
            turns = [{"speaker": "customer" if k % 2 == 0 else "agent",
                      "text": " ".join(rng.choice(words) for _ in range(rng.randint(1, 30)))} for k in range(rng.randint(1, 4))]
            out.append({"turns": turns, "id": f"c-{i}"})
        else:
            base = fx.TEXTS[i % len(fx.TEXTS)]
            extra = " ".join(rng.choice(words) for _ in range(rng.choice([0, 3, 10, 40, 150])))
            out.append({"text": (base + " " + extra).strip(), "id": f"c-{i}"})
    return out


def summary(a):
    ents = [(e["label"], e["start"], e["end"], e["text"], e.get("turn", 0)) for e in a["entities"]]
    it = a["intent"]
    return ents, it["label"], [x["label"] for x in it["alternatives"]], a["route"]


def scores(a):
    return [e["score"] for e in a["entities"]] + [a["intent"]["score"]] + [x["score"] for x in a["intent"]["alternatives"]]


def main():
    fx.require()
    c = fx.Checks()
    tmp = fx.tmpdir("serve-concurrency")
    model = fx.checkpoint(os.path.join(tmp, "tiny"), seed=4)
    srv = fx.Server(model, tmp, routing=fx.ROUTING_YAML,
                    sets=["http.threads=64", "batch.max_delay_ms=20", "runtime.intra_op_threads=1"])
    print(f"server up on port {srv.port} in {srv.start_s:.1f} s")
    try:
        reqs = requests_set()
        t0 = time.time()
        alone = []
        for q in reqs:
            r = srv.post("/v1/route", q)
            c.check(r.status == 200, f"sequential {q['id']}: {r}")
            alone.append(r.json() if r.status == 200 else None)
        print(f"64 sequential in {time.time() - t0:.2f} s")
        m = srv.call("GET", "/metrics").body.decode()
        seq_sum = fx.metric_value(m, "triage_batch_size_sum") or 0
        seq_cnt = fx.metric_value(m, "triage_batch_size_count") or 0

        together = [None] * len(reqs)
        barrier = threading.Barrier(len(reqs))

        def client(i):
            try:
                cl = fx.Client(srv.host, srv.port, timeout=120).connect()
            except OSError as e:
                together[i] = e
                barrier.wait()
                return
            barrier.wait()
            try:
                together[i] = cl.post("/v1/route", reqs[i])
            except OSError as e:
                together[i] = e
            cl.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(len(reqs))]
        t0 = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(f"64 concurrent in {time.time() - t0:.2f} s")
        m = srv.call("GET", "/metrics").body.decode()
        bs_sum = (fx.metric_value(m, "triage_batch_size_sum") or 0) - seq_sum
        bs_cnt = (fx.metric_value(m, "triage_batch_size_count") or 0) - seq_cnt
        seq_mean, con_mean = seq_sum / max(seq_cnt, 1), bs_sum / max(bs_cnt, 1)
        print(f"mean batch size: sequential {seq_mean:.2f} ({seq_cnt:.0f} batches), "
              f"concurrent {con_mean:.2f} ({bs_cnt:.0f} batches)")

        worst = 0.0
        for i, (q, a, r) in enumerate(zip(reqs, alone, together)):
            if not c.check(isinstance(r, fx.Response) and r.status == 200, f"concurrent {q['id']}: {r}") or a is None:
                continue
            b = r.json()
            c.check(b.get("id") == q["id"], f"answer {i} is for its request: {b.get('id')} != {q['id']}")
            c.check(summary(a) == summary(b), f"{q['id']}: entities/intent/route equal alone and batched:\n"
                                              f"  alone   {summary(a)}\n  batched {summary(b)}")
            sa, sb = scores(a), scores(b)
            if c.check(len(sa) == len(sb), f"{q['id']}: same number of scores"):
                d = max((abs(x - y) for x, y in zip(sa, sb)), default=0.0)
                worst = max(worst, d)
                c.check(d <= TOL, f"{q['id']}: scores equal to 1e-4 (max diff {d})")
        print(f"max score difference alone vs batched: {worst:.6f}")
        c.check(bs_cnt > 0 and con_mean > seq_mean,
                f"the concurrent requests were batched together (mean batch size {con_mean:.2f} > {seq_mean:.2f})")
    finally:
        rc = srv.stop()
        c.check(rc == 0, f"exit code 0 after SIGTERM (got {rc})")
        if c.failures:
            print("server log tail:\n" + srv.log_tail())
    return c.done("serve_http_concurrency", tmp)


if __name__ == "__main__":
    sys.exit(main())
