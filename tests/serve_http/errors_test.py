#!/usr/bin/env python3
"""triage-serve error answers on loopback (docs/serving.md, "Endpoints and errors"): 413
body_too_large, 400 bad_json / invalid_utf8 (raw bytes) / missing_field / bad_field, 422
text_too_long (code points and sub-words, limits.truncate=false) / too_many_texts /
too_many_turns, the limits.truncate=true path (200, truncated: true, offsets still right),
404 not_found, 405 method_not_allowed, 403 admin_disabled, malformed HTTP (400/414
bad_request from the HTTP layer); every error body is
{"error": {"code", "reason", "message"}, "id"} with X-Request-Id; failures are counted in
/metrics; the server still answers afterwards. (429 and 504: overload_test.py; 401:
reload_test.py.) Exit 0 pass, 1 fail, 77 skipped.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_fixture as fx  # noqa: E402


def expect_error(c, r, status, reasons, what, field=None):
    reasons = [reasons] if isinstance(reasons, str) else reasons
    try:
        body = r.json()
    except ValueError:
        body = {}
    err = body.get("error", {}) if isinstance(body, dict) else {}
    ok = c.check(r.status == status and err.get("reason") in reasons,
                 f"{what}: expected {status} {reasons}, got {r.status} {r.body[:300]!r}")
    if not ok:
        return False
    c.check(err.get("code") == status and isinstance(err.get("message"), str) and err["message"],
            f"{what}: error.code == status and a message: {err}")
    c.check("id" in body and r.header("X-Request-Id") and body["id"] == r.header("X-Request-Id"),
            f"{what}: error body id == X-Request-Id header: {body.get('id')} {r.header('X-Request-Id')}")
    c.check((r.header("Content-Type") or "").startswith("application/json"), f"{what}: Content-Type json")
    if field:
        c.check(field in err.get("message", ""), f"{what}: message names {field!r}: {err.get('message')!r}")
    return True


def raw_request(srv, raw):
    """Sends bytes as they are; returns the parsed answer (None if there is none)."""
    import socket
    data = b""
    try:
        with socket.create_connection((srv.host, srv.port), timeout=10) as sock:
            sock.sendall(raw)
            while True:  # until the headers and Content-Length bytes of body are in
                head, sep, body = data.partition(b"\r\n\r\n")
                if sep:
                    m = re.search(rb"(?i)content-length:\s*(\d+)", head)
                    if m and len(body) >= int(m.group(1)):
                        break
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError:
        pass  # a reset after the answer (the unread rest of our request) is fine
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines or not lines[0].startswith("HTTP/1."):
        return None
    headers = [tuple(x.split(": ", 1)) for x in lines[1:] if ": " in x]
    return fx.Response(int(lines[0].split()[1]), headers, body)


def main():
    fx.require()
    c = fx.Checks()
    tmp = fx.tmpdir("serve-errors")
    model = fx.checkpoint(os.path.join(tmp, "tiny"), seed=2)
    sets = ["http.max_body_bytes=65536", "limits.max_text_chars=2000", "limits.max_subwords=128",
            "limits.max_texts=4", "limits.max_turns=4", "runtime.intra_op_threads=1", "http.threads=4"]
    srv = fx.Server(model, tmp, sets=sets, routing=fx.ROUTING_YAML)
    print(f"server up on port {srv.port} in {srv.start_s:.1f} s")
    route = lambda body, **kw: srv.call("POST", "/v1/route", body if isinstance(body, bytes) else json.dumps(body).encode(), **kw)  # noqa: E731
    tag = lambda body, **kw: srv.call("POST", "/v1/tag", body if isinstance(body, bytes) else json.dumps(body).encode(), **kw)  # noqa: E731
    try:
        # 413: over http.max_body_bytes
        try:
            r = route({"text": "word " * 14000})
            expect_error(c, r, 413, "body_too_large", "413 body over max_body_bytes")
        except (ConnectionError, OSError) as e:
            c.check(False, f"413: connection failed instead of an answer: {e!r}")
        r = route({"text": "word " * 12000})  # 60 KB: under the body limit, over max_text_chars
        expect_error(c, r, 422, "text_too_long", "422 over max_text_chars (body under the limit)", field="2000")

        # 400 bad_json with the byte offset
        r = route(b'{"text": "hello"')
        if expect_error(c, r, 400, "bad_json", "400 truncated JSON"):
            c.check(any(ch.isdigit() for ch in r.json()["error"]["message"]), "bad_json message gives the offset")
        expect_error(c, route(b"not json at all"), 400, "bad_json", "400 not JSON")
        expect_error(c, route(b""), 400, ["bad_json", "missing_field"], "400 empty body")
        expect_error(c, tag(b"[1, 2"), 400, "bad_json", "400 /v1/tag truncated JSON")

        # 400 invalid_utf8: raw bytes inside a JSON string
        expect_error(c, route(b'{"text": "caf\xc3 au lait"}'), 400, "invalid_utf8", "400 truncated UTF-8 sequence")
        expect_error(c, route(b'{"text": "\xff\xfe hello"}'), 400, "invalid_utf8", "400 0xFF byte")
        expect_error(c, route(b'{"text": "\xed\xa0\x80 surrogate"}'), 400, "invalid_utf8", "400 encoded surrogate")
        expect_error(c, route(b'{"text": "\xc0\xaf overlong"}'), 400, "invalid_utf8", "400 overlong form")
        expect_error(c, route(b'{"turns": [{"text": "ok"}, {"text": "\x80"}]}'), 400, "invalid_utf8", "400 bad byte in a turn")
        expect_error(c, tag(b'{"texts": ["ok", "\xf8\x88\x80\x80\x80"]}'), 400, "invalid_utf8", "400 /v1/tag 5-byte form")

        # 400 missing_field / bad_field, the message naming the field
        expect_error(c, route({}), 400, "missing_field", "400 {} on /v1/route", field="text")
        expect_error(c, route({"id": "x"}), 400, "missing_field", "400 no text nor turns")
        expect_error(c, tag({}), 400, "missing_field", "400 {} on /v1/tag", field="texts")
        expect_error(c, route([1, 2]), 400, ["bad_json", "bad_field"], "400 body is a JSON array")
        expect_error(c, route({"text": 5}), 400, "bad_field", "400 text is a number", field="text")
        expect_error(c, route({"text": None}), 400, ["bad_field", "missing_field"], "400 text is null", field="text")
        expect_error(c, route({"text": "a", "turns": [{"text": "b"}]}), 400, "bad_field", "400 both text and turns")
        expect_error(c, route({"turns": []}), 400, "bad_field", "400 empty turns", field="turns")
        expect_error(c, route({"turns": "hello"}), 400, "bad_field", "400 turns not a list", field="turns")
        expect_error(c, route({"turns": [{"speaker": "customer"}]}), 400, ["missing_field", "bad_field"],
                     "400 turn without text", field="text")
        expect_error(c, route({"turns": [{"text": 3}]}), 400, "bad_field", "400 turn text not a string", field="text")
        for bad in (0, -5, "100", 1.5, True):
            expect_error(c, route({"text": "a", "deadline_ms": bad}), 400, "bad_field", f"400 deadline_ms={bad!r}",
                         field="deadline_ms")
        expect_error(c, route({"text": "a", "id": 5}), 400, "bad_field", "400 id not a string", field="id")
        expect_error(c, tag({"texts": []}), 400, "bad_field", "400 empty texts", field="texts")
        expect_error(c, tag({"texts": ["a", 3]}), 400, "bad_field", "400 a text not a string", field="texts")
        expect_error(c, tag({"texts": "abc"}), 400, "bad_field", "400 texts not a list", field="texts")

        # 422 limits
        r = route({"text": "é" * 2001})
        expect_error(c, r, 422, "text_too_long", "422 2001 code points > max_text_chars 2000", field="2001")
        r = route({"text": "é" * 2000})  # 4000 bytes but 2000 code points: allowed
        c.check(r.status == 200, f"2000 code points (4000 bytes) are within max_text_chars: {r}")
        r = route({"turns": [{"text": "ok"}, {"text": "x" * 2001}]})
        expect_error(c, r, 422, "text_too_long", "422 a turn over max_text_chars")
        long_words = " ".join(f"order{i % 10} A-{i}" for i in range(100))  # well over 128 sub-words
        r = route({"text": long_words})
        expect_error(c, r, 422, "text_too_long", "422 over max_subwords (truncate=false)", field="128")
        expect_error(c, tag({"texts": ["ok", long_words]}), 422, "text_too_long", "422 /v1/tag text over max_subwords")
        expect_error(c, tag({"texts": ["a"] * 5}), 422, "too_many_texts", "422 5 texts > max_texts 4", field="4")
        expect_error(c, route({"turns": [{"text": "a"}] * 5}), 422, "too_many_turns", "422 5 turns > max_turns 4", field="4")
        c.check(tag({"texts": ["a"] * 4}).status == 200, "4 texts (= max_texts) answered")
        c.check(route({"turns": [{"text": "a"}] * 4}).status == 200, "4 turns (= max_turns) answered")

        # 404 / 405
        expect_error(c, srv.call("GET", "/nope"), 404, "not_found", "404 GET /nope")
        expect_error(c, srv.call("POST", "/v1/nope", b"{}"), 404, "not_found", "404 POST /v1/nope")
        expect_error(c, srv.call("GET", "/v1/route"), 405, "method_not_allowed", "405 GET /v1/route")
        expect_error(c, srv.call("POST", "/healthz", b"{}"), 405, "method_not_allowed", "405 POST /healthz")
        expect_error(c, srv.call("GET", "/admin/reload"), 405, "method_not_allowed", "405 GET /admin/reload")
        expect_error(c, srv.call("DELETE", "/v1/tag"), 405, "method_not_allowed", "405 DELETE /v1/tag")

        # 403: no admin token configured (TRIAGE_ADMIN_TOKEN unset), whatever the request says
        expect_error(c, srv.call("POST", "/admin/reload", b"{}"), 403, "admin_disabled", "403 reload without a configured token")
        expect_error(c, srv.call("POST", "/admin/reload", b"{}", {"Authorization": "Bearer x"}), 403, "admin_disabled",
                     "403 reload with a token but none configured")

        # malformed HTTP (not JSON's fault): the HTTP layer answers 400 / 414 bad_request
        for raw, status in ((b"GARBAGE\r\n\r\n", 400), (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414)):
            r = raw_request(srv, raw)
            c.check(r is not None and r.status == status, f"malformed HTTP answered {status}: {r}")
            if r is not None and r.status == status:
                expect_error(c, r, status, "bad_request", f"{status} for malformed HTTP")

        # the request id travels into error answers
        r = route(b"{", headers={"X-Request-Id": "err-42"})
        c.check(r.header("X-Request-Id") == "err-42" and r.json().get("id") == "err-42",
                f"X-Request-Id echoed on an error: {r.header('X-Request-Id')} {r.body[:200]!r}")
        r = route({"text": 5, "id": "body-id-9"})
        c.check(r.json().get("id") == "body-id-9", f"the body's id echoed on a field error: {r.body[:200]!r}")

        # counted in /metrics; still alive
        m = srv.call("GET", "/metrics").body.decode()
        bad = fx.metric_value(m, "triage_failures_total", {"reason": "bad_request"}) or 0
        c.check(bad >= 20, f"triage_failures_total{{reason=bad_request}} counts the 4xx answers: {bad}")
        c.check((fx.metric_value(m, "triage_requests_total", {"code": "400"}) or 0) >= 20, "requests_total{code=400} counted")
        c.check((fx.metric_value(m, "triage_requests_total", {"code": "422"}) or 0) >= 5, "requests_total{code=422} counted")
        c.check(srv.call("GET", "/healthz").status == 200, "alive after the errors")
        r = route({"text": fx.TEXTS[0]})
        c.check(r.status == 200 and r.json().get("route", {}).get("queue"), f"still routing after the errors: {r}")
        c.check(srv.proc.poll() is None, "server process still running")
    finally:
        rc = srv.stop()
        c.check(rc == 0, f"exit code 0 after SIGTERM (got {rc})")
        if c.failures:
            print("server log tail:\n" + srv.log_tail())

    # limits.truncate=true: cut to max_subwords, answer says so, offsets still right
    srv = fx.Server(model, tmp, sets=["limits.max_subwords=128", "limits.truncate=true", "runtime.intra_op_threads=1"])
    try:
        r = srv.post("/v1/route", {"text": long_words})
        if c.check(r.status == 200, f"truncate=true: 200 for a text over max_subwords: {r}"):
            a = r.json()
            c.check(a.get("truncated") is True, "truncate=true: truncated: true")
            ents = a.get("entities", [])
            c.check(all(long_words[e["start"]:e["end"]] == e["text"] for e in ents), "truncate=true: offsets right")
            c.check(all(e["end"] <= len(long_words) * 0.75 for e in ents),
                    f"truncate=true: no entity from the cut-off tail (last end {max([e['end'] for e in ents], default=0)} of {len(long_words)})")
        r = srv.post("/v1/tag", {"texts": ["short one", long_words]})
        if c.check(r.status == 200, f"truncate=true: /v1/tag 200: {r}"):
            c.check(r.json().get("truncated") is True, "truncate=true: /v1/tag says truncated")
        r = srv.post("/v1/route", {"text": "short one"})
        c.check(r.status == 200 and r.json().get("truncated") is False, f"short text: truncated false: {r}")
        r = srv.call("GET", "/v1/info")
        c.check(r.status == 200 and r.json().get("limits", {}).get("truncate") is True, "/v1/info limits.truncate true")
    finally:
        rc = srv.stop()
        c.check(rc == 0, f"exit code 0 after SIGTERM (got {rc})")
        if c.failures:
            print("server log tail:\n" + srv.log_tail())
    return c.done("serve_http_errors", tmp)


if __name__ == "__main__":
    sys.exit(main())
