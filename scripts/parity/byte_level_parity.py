#!/usr/bin/env python3
"""The ByteLevel pre-tokenizer (data/byte_level.h) against `tokenizers`' own
(`pre_tokenizers.ByteLevel(add_prefix_space, use_regex).pre_tokenize_str`): the same pieces
(in the byte-level alphabet) with the same original code-point offsets, for add_prefix_space
and use_regex true/false, over every text line of ../shared/datasets, the edge-case file and
the all-code-point sweep (scripts/parity/tokenizer_parity.py's sets).
Env: TRIAGE_SHARED_DIR, TRIAGE_TEST_BIN_DIR (byte_level_dump). Exit 0 equal, 1 a mismatch,
77 absent.
"""
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tokenizer_parity as tp  # noqa: E402


def main():
    shared, bin_dir = tp.oracle_inputs()
    from tokenizers import pre_tokenizers
    texts = [t for t in tp.dataset_lines(shared) + tp.edge_lines() + tp.sweep_lines() if t]
    data = "".join(json.dumps(t) + "\n" for t in texts).encode()
    bad_total = 0
    for prefix in (True, False):
        for regex in (True, False):
            name = f"add_prefix_space={prefix} use_regex={regex}"
            pre = pre_tokenizers.ByteLevel(add_prefix_space=prefix, use_regex=regex)
            args = ([] if prefix else ["--no-prefix-space"]) + ([] if regex else ["--no-regex"])
            proc = subprocess.run([str(bin_dir / "byte_level_dump"), *args], input=data, capture_output=True)
            if proc.returncode != 0:
                print(f"FAIL: byte_level_dump {name}: {proc.stderr.decode(errors='replace')}")
                return 1
            bad = 0
            for text, row in zip(texts, proc.stdout.decode().splitlines()):
                want = [[p, b, e] for p, (b, e) in pre.pre_tokenize_str(text)]
                got = json.loads(row)
                if want != got:
                    bad += 1
                    if bad <= 3:
                        print(f"  {name}: {text[:50]!r}\n    tokenizers {want[:6]}\n    triage     {got[:6]}")
            print(f"{name}: {len(texts)} texts, {bad} mismatches")
            bad_total += bad
    return 1 if bad_total else 0


if __name__ == "__main__":
    sys.exit(main())
