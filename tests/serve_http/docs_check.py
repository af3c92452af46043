#!/usr/bin/env python3
"""The serving docs stay consistent: docs/openapi.yaml parses (PyYAML), every $ref resolves,
it has every endpoint of the server's contract and every error reason of the server's own
table (`triage-serve --list-errors`, serve/errors.h) with its status, and (when
openapi-spec-validator is installed) validates as OpenAPI 3.0; docs/grafana/triage-serve.json
is JSON whose queries name only triage-serve's metrics and use each of them.
Exit 0 pass, 1 fail, 77 skipped (PyYAML missing).
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.environ.get("TRIAGE_SOURCE_DIR") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ENDPOINTS = {"/v1/route": "post", "/v1/tag": "post", "/healthz": "get", "/readyz": "get", "/metrics": "get",
             "/v1/info": "get", "/admin/reload": "post"}
BIN = os.environ.get("TRIAGE_BIN_DIR") or os.path.join(ROOT, "build", "bin")


def error_table():
    """The server's error table: [{"reason", "status", "metric", "meaning"}, ...]."""
    out = subprocess.run([os.path.join(BIN, "triage-serve"), "--list-errors"], check=True, capture_output=True,
                         text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]
METRICS = {"triage_requests_total", "triage_request_duration_seconds", "triage_tokenize_duration_seconds",
           "triage_queue_duration_seconds", "triage_inference_duration_seconds", "triage_batch_size",
           "triage_batch_tokens", "triage_queue_depth", "triage_model_info", "triage_route_decisions_total",
           "triage_failures_total"}


def main():
    try:
        import yaml
    except ImportError as e:
        print(f"SKIP: PyYAML unavailable ({e})")
        return 77
    fails = []
    spec = yaml.safe_load(open(os.path.join(ROOT, "docs", "openapi.yaml")))
    if not str(spec.get("openapi", "")).startswith("3.0"):
        fails.append(f"openapi version {spec.get('openapi')}")
    refs = []

    def walk(x):
        if isinstance(x, dict):
            for k, v in x.items():
                refs.append(v) if k == "$ref" else walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(spec)
    for r in refs:
        node = spec
        for part in r[2:].split("/"):
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            fails.append(f"unresolved $ref {r}")
    for path, method in ENDPOINTS.items():
        if method not in spec.get("paths", {}).get(path, {}):
            fails.append(f"missing {method.upper()} {path}")
    enum = spec["components"]["schemas"]["Error"]["properties"]["reason"]["enum"]
    text = open(os.path.join(ROOT, "docs", "openapi.yaml")).read()
    table = error_table()
    if len(table) < 10:
        fails.append(f"triage-serve --list-errors printed {len(table)} reasons")
    for row in table:
        reason = row["reason"]
        if reason not in enum:
            fails.append(f"reason {reason} not in Error.reason's enum")
        if text.count(reason) < 2:
            fails.append(f"reason {reason} not described in a response")
        if row["metric"] and row["metric"] not in text:
            fails.append(f"failure label {row['metric']} of reason {reason} not in docs/openapi.yaml")
    for reason in enum:
        if reason not in {row["reason"] for row in table}:
            fails.append(f"Error.reason's enum lists {reason}, which triage-serve does not answer")
    try:
        from openapi_spec_validator import validate
        validate(spec)
        print("openapi-spec-validator: valid")
    except ImportError:
        print("openapi-spec-validator not installed: checked parsing and $refs only")
    except Exception as e:  # noqa: BLE001
        fails.append(f"openapi-spec-validator: {e}")

    dash = json.load(open(os.path.join(ROOT, "docs", "grafana", "triage-serve.json")))
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    exprs += [a["expr"] for a in dash.get("annotations", {}).get("list", []) if "expr" in a]
    used = set()
    for e in exprs:
        for name in re.findall(r"triage_[a-z_]+", e):
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            if base not in METRICS:
                fails.append(f"dashboard query names unknown metric {name}: {e}")
            used.add(base)
    for m in sorted(METRICS - used):
        fails.append(f"dashboard does not use {m}")
    for f in fails:
        print("FAIL:", f)
    print(f"{len(refs)} $refs, {len(spec['paths'])} paths, {len(exprs)} dashboard queries; {len(fails)} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
