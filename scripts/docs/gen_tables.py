#!/usr/bin/env python3
"""Generates the key tables of docs/serving.md and docs/training.md from the binaries' own
`--dump-config` output, and the error table of docs/serving.md from `triage-serve
--list-errors`, so the docs cannot drift from the code. Each table sits between
`<!-- generated: NAME -->` and `<!-- end generated: NAME -->` lines.

  scripts/docs/gen_tables.py            rewrite the tables in place
  scripts/docs/gen_tables.py --check    exit 1 naming each table that differs (ctest docs_tables)

The binaries come from $TRIAGE_BIN_DIR (default build/bin).
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.environ.get("TRIAGE_SOURCE_DIR") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("TRIAGE_BIN_DIR") or os.path.join(ROOT, "build", "bin")


def run(binary, *args):
    return subprocess.run([os.path.join(BIN, binary), *args], check=True, capture_output=True, text=True).stdout


def parse_dump(text):
    """`--dump-config` YAML with a help comment per key -> [(key, value, help)]."""
    rows, section = [], ""
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            section = line.rstrip(":")
            continue
        m = re.match(r"^\s+([A-Za-z0-9_]+): (.*?)  # (.*)$", line)
        if not m:
            raise SystemExit(f"gen_tables: cannot parse dump line: {line!r}")
        leaf, value, help_ = m.groups()
        if len(value) > 2 and value[0] == '"' and value[-1] == '"':  # a quoted string; "" stays as shown
            value = json.loads(value)
        rows.append((f"{section}.{leaf}" if section else leaf, value, help_))
    return rows


def cell(text):
    return str(text).replace("|", "\\|")


def config_table(binary, prefix):
    rows = parse_dump(run(binary, "--dump-config"))
    out = ["| key | environment variable | default | meaning |", "|---|---|---|---|"]
    for key, value, help_ in rows:
        env = prefix + "_" + key.replace(".", "_").upper()
        out.append(f"| `{key}` | `{env}` | {cell(value)} | {cell(help_)} |")
    return "\n".join(out)


def error_table():
    out = ["| status | reason | `triage_failures_total` label | when |", "|---|---|---|---|"]
    for line in run("triage-serve", "--list-errors").splitlines():
        r = json.loads(line)
        label = f'`{r["metric"]}`' if r["metric"] else "(not counted)"
        out.append(f'| {r["status"]} | `{r["reason"]}` | {label} | {cell(r["meaning"])} |')
    return "\n".join(out)


TABLES = {
    "docs/serving.md": {"serve-config": lambda: config_table("triage-serve", "TRIAGE_SERVE"), "serve-errors": error_table},
    "docs/training.md": {"train-config": lambda: config_table("triage-train", "TRIAGE_TRAIN")},
}


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    for rel, tables in TABLES.items():
        path = os.path.join(ROOT, rel)
        text = open(path, encoding="utf-8").read()
        new = text
        for name, make in tables.items():
            begin, end = f"<!-- generated: {name} -->", f"<!-- end generated: {name} -->"
            if begin not in new or end not in new:
                raise SystemExit(f"gen_tables: {rel}: no '{begin}' ... '{end}' block")
            head, rest = new.split(begin, 1)
            old_body, tail = rest.split(end, 1)
            body = "\n" + make() + "\n"
            if old_body != body:
                stale.append(f"{rel}: table {name}")
            new = head + begin + body + end + tail
        if not check and new != text:
            tmp = path + ".tmp"
            open(tmp, "w", encoding="utf-8").write(new)
            os.replace(tmp, path)
    if check and stale:
        print("stale generated tables (run scripts/docs/gen_tables.py):\n  " + "\n  ".join(stale))
        return 1
    print(("checked" if check else "wrote") + " " + ", ".join(f"{r}: {', '.join(t)}" for r, t in TABLES.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
