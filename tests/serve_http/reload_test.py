#!/usr/bin/env python3
"""Hot reload under load on loopback: while 4 client threads send /v1/route and /v1/tag
for 30 s, POST /admin/reload switches between two checkpoints 10 times (plus one SIGHUP,
which reloads the current paths, and one POST without a body, which does the same). Asserts: 0 failed requests (every answer 200); every
answer's model.version is one of the two; both versions are seen in answers and the
version changes in the answer stream; each reload answers 200 "reloaded" with the new
version, which /v1/info and triage_model_info then show. A reload with a broken checkpoint
(truncated safetensors) and one with routing rules naming an unknown label answer 422
reload_failed and the old model keeps serving (triage_failures_total{reason="reload"}
counts them). Admin auth: 401 unauthorized without or with a wrong token.
Exit 0 pass, 1 fail, 77 skipped.
"""
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_fixture as fx  # noqa: E402

TOKEN = "s3cret-token"
LOAD_S = 30.0
RELOADS = 10


def main():
    fx.require()
    c = fx.Checks()
    tmp = fx.tmpdir("serve-reload")
    a_dir = fx.checkpoint(os.path.join(tmp, "a"), seed=10)
    b_dir = fx.checkpoint(os.path.join(tmp, "b"), seed=11)
    broken = fx.broken_checkpoint(os.path.join(tmp, "broken"), a_dir)
    bad_rules = os.path.join(tmp, "bad_rules.yaml")
    with open(bad_rules, "w") as f:
        f.write("default_queue: q\noverrides:\n  - name: typo\n    entity: order_idd\n    queue: x\n")
    srv = fx.Server(a_dir, tmp, routing=fx.ROUTING_YAML, env={"TRIAGE_ADMIN_TOKEN": TOKEN},
                    sets=["http.threads=8", "runtime.intra_op_threads=1"])
    print(f"server up on port {srv.port} in {srv.start_s:.1f} s")
    auth = {"Authorization": f"Bearer {TOKEN}"}
    stop = threading.Event()
    failures, seen, sequence, lock = [], {}, [], threading.Lock()
    counts = [0]

    def client(k):
        i = 0
        cl = fx.Client(srv.host, srv.port, timeout=30)
        while not stop.is_set():
            text = fx.TEXTS[(k + i) % len(fx.TEXTS)]
            try:
                if i % 5 == 4:
                    r = cl.post("/v1/tag", {"texts": [text, fx.TEXTS[0]]})
                else:
                    r = cl.post("/v1/route", {"text": text, "id": f"t{k}-{i}"})
                ok = r.status == 200
                v = r.json().get("model", {}).get("version") if ok else None
            except Exception as e:  # noqa: BLE001 - any failure counts
                ok, v, r = False, None, e
            with lock:
                counts[0] += 1
                if not ok:
                    failures.append(repr(r)[:300])
                else:
                    seen[v] = seen.get(v, 0) + 1
                    if k == 0 and (not sequence or sequence[-1] != v):
                        sequence.append(v)
            i += 1
        cl.close()

    try:
        info = srv.call("GET", "/v1/info").json()
        va = info["model"]["version"]
        # auth
        for h, what in (({}, "no Authorization"), ({"Authorization": "Bearer wrong"}, "wrong token"),
                        ({"Authorization": TOKEN}, "token without Bearer")):
            r = srv.call("POST", "/admin/reload", b"{}", h)
            c.check(r.status == 401 and r.json().get("error", {}).get("reason") == "unauthorized",
                    f"401 unauthorized with {what}: {r}")

        threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
        t_start = time.time()
        for t in threads:
            t.start()
        versions = {a_dir: va}
        target = b_dir
        gap = LOAD_S / (RELOADS + 4)
        reload_times = []
        for n in range(RELOADS):
            time.sleep(gap)
            t0 = time.time()
            r = srv.post("/admin/reload", {"model": target}, headers=auth, timeout=60)
            if r.status == 409:  # the SIGHUP reload may still be running
                time.sleep(1.0)
                r = srv.post("/admin/reload", {"model": target}, headers=auth, timeout=60)
            reload_times.append(time.time() - t0)
            if not c.check(r.status == 200, f"reload {n} to {os.path.basename(target)}: {r}"):
                continue
            body = r.json()
            v = body.get("model", {}).get("version")
            c.check(body.get("status") == "reloaded", f"reload {n}: status reloaded: {body}")
            c.check(isinstance(body.get("routing"), dict) and body["routing"].get("rules") == 11,
                    f"reload {n}: routing kept (11 rules): {body.get('routing')}")
            if target in versions:
                c.check(v == versions[target], f"reload {n}: version of {target} is stable ({v} vs {versions[target]})")
            versions.setdefault(target, v)
            info = srv.call("GET", "/v1/info").json()
            c.check(info["model"]["version"] == v and os.path.realpath(info["model"]["dir"]) == os.path.realpath(target),
                    f"reload {n}: /v1/info shows the new model: {info['model']}")
            if n == 4:
                # SIGHUP: reloads the current paths; the version stays
                srv.signal(signal.SIGHUP)
                time.sleep(2.0)
                c.check(srv.proc.poll() is None, "alive after SIGHUP")
                info = srv.call("GET", "/v1/info").json()
                c.check(info["model"]["version"] == v, f"SIGHUP keeps the current model: {info['model']['version']} vs {v}")
            if n == 5:
                # no body at all (curl -X POST: no Content-Length): reloads the current paths, like SIGHUP
                import http.client
                conn = http.client.HTTPConnection(srv.host, srv.port, timeout=60)
                conn.putrequest("POST", "/admin/reload")
                conn.putheader("Authorization", auth["Authorization"])
                conn.endheaders()
                r = conn.getresponse()
                body = fx.Response(r.status, r.getheaders(), r.read())
                conn.close()
                c.check(body.status == 200 and body.json().get("model", {}).get("version") == v,
                        f"a reload without a body reloads the current model: {body}")
            if n == 6:
                # broken checkpoint: 422, the old model keeps serving
                r = srv.post("/admin/reload", {"model": broken}, headers=auth, timeout=60)
                err = r.json().get("error", {}) if r.body else {}
                c.check(r.status == 422 and err.get("reason") == "reload_failed" and err.get("message"),
                        f"broken checkpoint: 422 reload_failed with a message: {r}")
                r = srv.post("/admin/reload", {"routing": bad_rules}, headers=auth, timeout=60)
                err = r.json().get("error", {}) if r.body else {}
                c.check(r.status == 422 and err.get("reason") == "reload_failed" and "order_idd" in err.get("message", ""),
                        f"rules with an unknown label: 422 reload_failed naming it: {r}")
                r = srv.post("/v1/route", {"text": fx.TEXTS[1]})
                c.check(r.status == 200 and r.json()["model"]["version"] == v,
                        f"after the failed reloads the previous model answers: {r}")
            target = a_dir if target == b_dir else b_dir
        remaining = LOAD_S - (time.time() - t_start)
        if remaining > 0:
            time.sleep(remaining)
        stop.set()
        for t in threads:
            t.join()
        elapsed = time.time() - t_start
        print(f"{counts[0]} requests in {elapsed:.1f} s from 4 threads; reloads took "
              f"{min(reload_times):.2f}-{max(reload_times):.2f} s; versions seen {seen}; "
              f"version changes seen by thread 0: {len(sequence) - 1}")
        c.check(not failures, f"0 failed requests during reloads ({len(failures)} failed: {failures[:5]})")
        c.check(set(seen) <= set(versions.values()), f"answers carry only the two versions: {seen} vs {versions}")
        c.check(len(seen) == 2 and len(set(versions.values())) == 2, f"both versions answered: {seen}")
        c.check(len(sequence) >= 5, f"model.version changes in the answer stream ({len(sequence) - 1} changes)")
        c.check(counts[0] >= 200, f"the load was continuous ({counts[0]} requests)")
        m = srv.call("GET", "/metrics").body.decode()
        c.check((fx.metric_value(m, "triage_failures_total", {"reason": "reload"}) or 0) >= 2,
                "triage_failures_total{reason=reload} counts the failed reloads")
        cur = srv.call("GET", "/v1/info").json()["model"]["version"]
        c.check(fx.metric_value(m, "triage_model_info", {"version": cur}) == 1, "triage_model_info{version=current} == 1")
        old = [v for v in versions.values() if v != cur]
        c.check(all((fx.metric_value(m, "triage_model_info", {"version": v}) or 0) == 0 for v in old),
                "triage_model_info of the replaced version is not 1")
    finally:
        stop.set()
        rc = srv.stop()
        c.check(rc == 0, f"exit code 0 after SIGTERM (got {rc})")
        if c.failures:
            print("server log tail:\n" + srv.log_tail())
    return c.done("serve_http_reload", tmp)


if __name__ == "__main__":
    sys.exit(main())
