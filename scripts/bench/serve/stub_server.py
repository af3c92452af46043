#!/usr/bin/env python3
"""A stand-in for triage-serve that answers /healthz, /readyz, /metrics and /v1/route
(fixed answer with timing_ms, after --delay-ms) on loopback, with keep-alive. It exists
to smoke-test the benchmark harness (run.sh with SERVE_BIN pointing here); its figures
mean nothing. Accepts and ignores the real server's flags, prints the same start-up line.

  stub_server.py --model DIR --port 0 [--set k=v ...] [--delay-ms 1]
"""
import argparse
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--delay-ms", type=float, default=1.0)
    args = ap.parse_args()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body are separate writes

        def log_message(self, *a):
            pass

        def answer(self, code, obj, ctype="application/json"):
            data = obj.encode() if isinstance(obj, str) else json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/healthz":
                self.answer(200, {"status": "alive"})
            elif self.path == "/readyz":
                self.answer(200, {"status": "ready"})
            elif self.path == "/metrics":
                self.answer(200, "triage_batch_size_sum 0\ntriage_batch_size_count 0\n", "text/plain")
            else:
                self.answer(404, {"error": {"code": 404, "reason": "not_found"}})

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            t0 = time.perf_counter()
            text = json.loads(body)["text"]
            time.sleep(args.delay_ms / 1000)
            ms = (time.perf_counter() - t0) * 1000
            self.answer(200, {"id": "stub", "entities": [], "intent": None, "route": {"queue": "general"},
                              "model": {"name": "stub", "version": "0"}, "truncated": False, "chars": len(text),
                              "timing_ms": {"tokenize": 0.0, "queue": 0.0, "inference": ms, "total": ms}})

    srv = ThreadingHTTPServer((args.host, args.port), Handler)
    print(f"triage-serve listening on http://{args.host}:{srv.server_address[1]}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
