#!/usr/bin/env python3
"""triage-serve in front of untrusted clients, on loopback (docs/serving.md, "Connections").

framing: every malformed request gets its answer, and the server is alive after each:
  Content-Length -1 or '12abc' 400 at once; 99999999999999999999 and 2,000,000 (over
  http.max_body_bytes) 413 at once, before any body byte; a body shorter than its
  Content-Length 408 body_timeout after http.body_timeout_s; a head that stops arriving 408
  header_timeout after http.header_timeout_s, the connection closed; a chunked body over the
  limit 413; Content-Length with Transfer-Encoding 400; `Expect: 100-continue` gets its
  interim answer; pipelined requests are answered in order; HEAD has no body; a POST without
  Content-Length is a request with an empty body; one connection over http.max_connections
  503 connection_limit; each counted in triage_failures_total{reason}.
slow: 500 connections dripping one header byte a second (reopened when the server closes
  them, from a separate process) while a normal client sends /v1/route once a second for 20 s:
  every normal request 200, its p50 within 3x of its p50 at the same pace (one a second, 10 s)
  before the slow clients came (a fast back-to-back baseline would compare warm against idle
  wake-ups: 6x in one CI run with nothing slow about the server), the
  slow connections closed by the header deadline (http.header_timeout_s 5). The slow clients
  are serve_fixture.py's drip (also used by scripts/bench/serve/soak.py).
drain: 16 keep-alive clients in a loop, SIGTERM after 4 s: every answer of the drain
  (each 503 draining, and the answer to each request sent after some client got a 503) carries
  `Connection: close`, and no client sees its connection reset or closed after it
  wrote a request (each stops when told the server is draining).

  hardening_test.py [--part framing|slow|drain ...] [--no-new-keys]
--no-new-keys starts the server without the http.* keys this test's fixes added (to measure
an older build with TRIAGE_BIN_DIR; such a build is expected to fail the checks).
Exit 0 pass, 1 fail, 77 skipped.
"""
import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_fixture as fx  # noqa: E402

SLOW_CONNECTIONS = 500
SLOW_SECONDS = 20
SLOW_HEADER_TIMEOUT_S = 5
BASELINE_SECONDS = 10


def exchange(srv, raw, wait=10.0, then=None, then_after=0.0):
    """Sends `raw` (then `then` after `then_after` s); reads until one whole answer is in or
    the server closes. Returns (answer or None, seconds until the answer, closed after it)."""
    t0 = time.time()
    data, answer, closed = b"", None, False
    with socket.create_connection((srv.host, srv.port), timeout=wait) as s:
        s.sendall(raw)
        if then is not None:
            time.sleep(then_after)
            s.sendall(then)
        took = None
        try:
            while True:
                head, sep, body = data.partition(b"\r\n\r\n")
                if sep and answer is None:
                    cl = [int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")[1:]
                          if line.lower().startswith(b"content-length:")]
                    if len(body) >= (cl[0] if cl else 0):
                        answer = parse_answer(head, body[:cl[0] if cl else 0])
                        took = time.time() - t0
                        s.settimeout(3)
                chunk = s.recv(65536)
                if not chunk:
                    closed = True
                    break
                data += chunk
        except socket.timeout:
            pass
        except OSError:
            closed = True
    if answer is None and data:
        head, _, body = data.partition(b"\r\n\r\n")
        answer = parse_answer(head, body)
        took = time.time() - t0
    return answer, (took if took is not None else time.time() - t0), closed


def parse_answer(head, body):
    lines = head.decode("latin-1").split("\r\n")
    if not lines[0].startswith("HTTP/1."):
        return None
    headers = [tuple(x.split(": ", 1)) for x in lines[1:] if ": " in x]
    return fx.Response(int(lines[0].split()[1]), headers, body)


def reason_of(r):
    try:
        return r.json()["error"]["reason"]
    except Exception:  # noqa: BLE001
        return None


def alive(c, srv, what):
    try:
        ok = srv.call("GET", "/healthz", timeout=5).status == 200
    except OSError as e:
        ok = False
        what += f" ({e!r})"
    c.check(ok, f"alive after {what}")


def part_framing(c, model, tmp, new_keys):
    sets = ["http.max_body_bytes=65536", "runtime.intra_op_threads=1", "http.threads=4"]
    if new_keys:
        sets += ["http.header_timeout_s=2", "http.body_timeout_s=2", "http.max_connections=16"]
    srv = fx.Server(model, tmp, sets=sets)
    head = b"POST /v1/route HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    try:
        cases = [
            ("Content-Length -1", head + b"Content-Length: -1\r\n\r\n{}", 400, "bad_request", 1.0),
            ("Content-Length 12abc", head + b"Content-Length: 12abc\r\n\r\n{}", 400, "bad_request", 1.0),
            ("Content-Length 99999999999999999999", head + b"Content-Length: 99999999999999999999\r\n\r\n", 413,
             "body_too_large", 1.0),
            ("Content-Length 2000000 (no body sent)", head + b"Content-Length: 2000000\r\n\r\n", 413, "body_too_large", 1.0),
            ("Content-Length with chunked", head + b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{}{}\r\n0\r\n\r\n",
             400, "bad_request", 1.0),
        ]
        for what, raw, status, reason, within in cases:
            r, took, _ = exchange(srv, raw, wait=10)
            c.check(r is not None and r.status == status and reason_of(r) == reason and took < within,
                    f"{what}: {status} {reason} within {within} s, got {r} after {took:.2f} s")
            alive(c, srv, what)
        # a chunked body passing the limit
        chunk = b"8000\r\n" + b"a" * 0x8000 + b"\r\n"
        r, took, _ = exchange(srv, head + b"Transfer-Encoding: chunked\r\n\r\n" + chunk * 3, wait=10)
        c.check(r is not None and r.status == 413 and reason_of(r) == "body_too_large",
                f"chunked body over max_body_bytes: 413, got {r}")
        alive(c, srv, "a chunked body over the limit")
        # a body shorter than its Content-Length: 408 after body_timeout_s (2 s)
        r, took, closed = exchange(srv, head + b"Content-Length: 100\r\n\r\n{\"text\": ", wait=10)
        c.check(r is not None and r.status == 408 and reason_of(r) == "body_timeout" and 1.8 <= took <= 4.5 and closed,
                f"short body: 408 body_timeout after ~2 s and closed, got {r} after {took:.2f} s (closed {closed})")
        alive(c, srv, "a short body")
        # a head that stops arriving: 408 after header_timeout_s (2 s), closed
        r, took, closed = exchange(srv, b"POST /v1/route HTTP/1.1\r\nHost: x\r\nX-Slow: abc", wait=10)
        c.check(r is not None and r.status == 408 and reason_of(r) == "header_timeout" and 1.8 <= took <= 4.5 and closed,
                f"stalled head: 408 header_timeout after ~2 s and closed, got {r} after {took:.2f} s (closed {closed})")
        alive(c, srv, "a stalled head")
        # Expect: 100-continue
        body = json.dumps({"text": fx.TEXTS[0]}).encode()
        with socket.create_connection((srv.host, srv.port), timeout=10) as s:
            s.sendall(head + b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
            interim = s.recv(4096)
            c.check(interim.startswith(b"HTTP/1.1 100"), f"Expect: 100-continue answered 100 first: {interim[:40]!r}")
            s.sendall(body)
            data = b""
            while b"\r\n\r\n" not in data:
                data += s.recv(65536)
            c.check(data.startswith(b"HTTP/1.1 200"), f"then 200: {data[:40]!r}")
        # pipelined: two requests in one write, answered in order
        one = lambda i: (head + b"X-Request-Id: pipe-%d\r\nContent-Length: %d\r\n\r\n" % (i, len(body)) + body)  # noqa: E731
        with socket.create_connection((srv.host, srv.port), timeout=10) as s:
            s.sendall(one(1) + one(2))
            data, deadline = b"", time.time() + 10
            while data.count(b"HTTP/1.1 200") < 2 and time.time() < deadline:
                data += s.recv(65536)
            ids = [line.split(b": ", 1)[1] for line in data.split(b"\r\n") if line.lower().startswith(b"x-request-id")]
            c.check(ids == [b"pipe-1", b"pipe-2"], f"pipelined requests answered in order: {ids}")
        # HEAD: headers only
        r, _, _ = exchange(srv, b"HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        c.check(r is not None and r.status == 200 and r.body == b"" and int(r.header("Content-Length") or 0) > 0,
                f"HEAD /healthz: 200, a Content-Length and no body: {r}")
        # POST without Content-Length: an empty body (answered by the endpoint, not the framing)
        r, _, _ = exchange(srv, b"POST /admin/reload HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        c.check(r is not None and r.status == 403 and reason_of(r) == "admin_disabled",
                f"POST without Content-Length reaches the endpoint (403 admin_disabled here): {r}")
        # the connection cap: 16 open, the 17th answered 503 connection_limit
        if new_keys:
            idle = [socket.create_connection((srv.host, srv.port), timeout=5) for _ in range(16)]
            time.sleep(0.2)
            r, took, closed = exchange(srv, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", wait=5)
            c.check(r is not None and r.status == 503 and reason_of(r) == "connection_limit" and closed,
                    f"connection 17 of http.max_connections 16: 503 connection_limit and closed: {r}")
            for s in idle:
                s.close()
            time.sleep(0.3)
            alive(c, srv, "the connection cap")
        m = srv.call("GET", "/metrics").body.decode()
        slow = fx.metric_value(m, "triage_failures_total", {"reason": "slow_client"})
        c.check((slow or 0) >= 2, f"triage_failures_total{{reason=slow_client}} counts the two timeouts: {slow}")
        cap = fx.metric_value(m, "triage_failures_total", {"reason": "connection_limit"})
        c.check(not new_keys or (cap or 0) >= 1, f"triage_failures_total{{reason=connection_limit}}: {cap}")
        r = srv.post("/v1/route", {"text": fx.TEXTS[0]})
        c.check(r.status == 200, f"still routing after the framing cases: {r}")
    finally:
        rc = srv.stop()
        c.check(rc == 0, f"exit 0 after SIGTERM (got {rc})")
        if c.failures:
            print("server log tail:\n" + srv.log_tail())


def part_slow(c, model, tmp, new_keys):
    sets = ["runtime.intra_op_threads=1"]
    if new_keys:
        sets += [f"http.header_timeout_s={SLOW_HEADER_TIMEOUT_S}"]
    srv = fx.Server(model, tmp, sets=sets)
    body = {"text": fx.TEXTS[1]}
    try:
        def timed():
            t0 = time.time()
            try:
                r = srv.post("/v1/route", body, timeout=10)
                return r.status, time.time() - t0
            except OSError as e:
                return repr(e), time.time() - t0

        def paced(n):  # one request a second, as under load: same idle gaps, same wake-ups
            out = []
            for _ in range(n):
                t = time.time()
                out.append(timed())
                time.sleep(max(0.0, 1.0 - (time.time() - t)))
            return out

        for _ in range(3):
            timed()
        base = paced(BASELINE_SECONDS)
        base_p50 = statistics.median(t for _, t in base)
        dripper = subprocess.Popen([sys.executable, fx.__file__, "drip", srv.host, str(srv.port),
                                    str(SLOW_CONNECTIONS), str(SLOW_SECONDS + 2)], stdout=subprocess.PIPE, text=True)
        time.sleep(2)  # all slow connections open
        loaded = paced(SLOW_SECONDS)
        out, _ = dripper.communicate(timeout=60)
        drip_stats = json.loads(out.strip().splitlines()[-1])
        statuses = [s for s, _ in loaded]
        p50 = statistics.median(t for _, t in loaded)
        lifetimes = [life for life, _ in drip_stats["closed"]]
        print(f"normal /v1/route: unloaded p50 {base_p50 * 1e3:.2f} ms; with {SLOW_CONNECTIONS} slow connections: "
              f"p50 {p50 * 1e3:.2f} ms, max {max(t for _, t in loaded) * 1e3:.1f} ms, statuses {sorted(set(map(str, statuses)))}; "
              f"slow connections closed by the server: {len(lifetimes)} (lifetime "
              f"{min(lifetimes, default=0):.2f}-{max(lifetimes, default=0):.2f} s, answers "
              f"{sorted(set(str(s) for _, s in drip_stats['closed']))}), open at the end {drip_stats['open_at_end']}")
        c.check(all(s == 200 for s in statuses), f"every normal request answered 200 under slow clients: {statuses}")
        c.check(p50 <= 3 * base_p50, f"p50 under slow clients {p50 * 1e3:.2f} ms within 3x of unloaded {base_p50 * 1e3:.2f} ms")
        c.check(len(lifetimes) >= SLOW_CONNECTIONS,
                f"the {SLOW_CONNECTIONS} slow connections were closed by the server ({len(lifetimes)} closed)")
        c.check(all(SLOW_HEADER_TIMEOUT_S - 0.5 <= x <= SLOW_HEADER_TIMEOUT_S + 3 for x in lifetimes),
                f"closed by the header deadline ({SLOW_HEADER_TIMEOUT_S} s): lifetimes "
                f"{min(lifetimes, default=0):.2f}-{max(lifetimes, default=0):.2f} s")
        m = srv.call("GET", "/metrics").body.decode()
        slow = fx.metric_value(m, "triage_failures_total", {"reason": "slow_client"}) or 0
        c.check(slow >= SLOW_CONNECTIONS, f"triage_failures_total{{reason=slow_client}} {slow} >= {SLOW_CONNECTIONS}")
    finally:
        rc = srv.stop()
        c.check(rc == 0, f"exit 0 after SIGTERM (got {rc})")
        if c.failures:
            print("server log tail:\n" + srv.log_tail())


def part_drain(c, model, tmp):
    srv = fx.Server(model, tmp, sets=["runtime.intra_op_threads=1", "shutdown.drain_timeout_s=20"])
    stats = {"requests": 0, "after_write": [], "before_write": [], "refused": 0, "no_close": [], "codes": {}}
    lock = threading.Lock()
    first_503 = [None]
    body = json.dumps({"text": fx.TEXTS[2]}).encode()

    def client(i):
        import http.client
        conn = None
        while True:
            if conn is None:
                conn = http.client.HTTPConnection(srv.host, srv.port, timeout=30)
                try:
                    conn.connect()
                except ConnectionRefusedError:
                    with lock:
                        stats["refused"] += 1
                    return
            with lock:
                sent_in_drain = first_503[0] is not None  # the server was draining before this was sent
            try:
                conn.request("POST", "/v1/route", body=body, headers={"Content-Type": "application/json"})
            except OSError as e:
                with lock:
                    stats["before_write"].append(repr(e))
                return
            try:
                r = conn.getresponse()
                r.read()
            except Exception as e:  # noqa: BLE001  (reset, or closed without an answer)
                with lock:
                    stats["after_write"].append(repr(e))
                return
            close = (r.getheader("Connection") or "").lower() == "close"
            with lock:
                stats["requests"] += 1
                stats["codes"][r.status] = stats["codes"].get(r.status, 0) + 1
                # during the drain: a 503, or the answer to a request sent after some client got a 503
                if r.status == 503 and first_503[0] is None:
                    first_503[0] = time.time()
                if (r.status == 503 or sent_in_drain) and not close:
                    stats["no_close"].append(r.status)
            if r.status == 503:
                conn.close()
                return  # draining: a real client goes to another instance
            if close:
                conn.close()
                conn = None

    threads = [threading.Thread(target=client, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    time.sleep(4)
    srv.signal(signal.SIGTERM)
    for t in threads:
        t.join(60)
    try:
        rc = srv.proc.wait(30)
    except subprocess.TimeoutExpired:
        rc = None
    srv.stop()
    print(f"drain with 16 keep-alive clients: {stats['requests']} answered {stats['codes']}; after a request was "
          f"written: {len(stats['after_write'])} errors; before writing: {len(stats['before_write'])}; refused "
          f"connects {stats['refused']}; answers of the drain without Connection: close: {len(stats['no_close'])}; exit {rc}")
    c.check(stats["requests"] >= 1000, f"the clients made at least 1,000 requests: {stats['requests']}")
    c.check(not stats["after_write"], f"no connection reset or closed after a request was written: {stats['after_write'][:5]}")
    c.check(not stats["before_write"], f"no connection failed while a request was written: {stats['before_write'][:5]}")
    c.check(not stats["no_close"], f"answers during the drain carry Connection: close: {stats['no_close'][:10]}")
    c.check(rc == 0, f"exit 0 after the drain (got {rc})")
    if c.failures:
        print("server log tail:\n" + srv.log_tail())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", action="append", choices=["framing", "slow", "drain"])
    ap.add_argument("--no-new-keys", action="store_true")
    args = ap.parse_args()
    parts = args.part or ["framing", "slow", "drain"]
    fx.require()
    c = fx.Checks()
    tmp = fx.tmpdir("serve-hardening")
    model = fx.checkpoint(os.path.join(tmp, "tiny"), seed=4)
    for p in parts:
        print(f"--- {p}", flush=True)
        if p == "framing":
            part_framing(c, model, tmp, not args.no_new_keys)
        elif p == "slow":
            part_slow(c, model, tmp, not args.no_new_keys)
        else:
            part_drain(c, model, tmp)
    return c.done("serve_http_hardening", tmp)


if __name__ == "__main__":
    sys.exit(main())
