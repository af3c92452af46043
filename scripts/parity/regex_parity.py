#!/usr/bin/env python3
"""data::Regex (Oniguruma) against the `tokenizers` library's own regex splitting, for the
patterns tokenizer.json files use: the GPT-2 / RoBERTa / ModernBERT byte-level pattern, the
`Whitespace` pre-tokenizer's, Llama-3's and an o200k-style one (\p{Lu} \p{Ll} \p{M}...), a
Split pattern with digits and (?i), and one with every negated form (\P{L}, \p{^N}, \W...). For each text, the
pieces of `tokenizers.pre_tokenizers.Split(Regex(p), "isolated")` (matches and the gaps
between them, code-point offsets) must equal those built from regex_split_dump's matches.
Corpus: every text line of ../shared/datasets, tests/data/tokenizer_edge_cases.txt and a
sweep over every Unicode code point (scripts/parity/tokenizer_parity.py's sets).
Env: TRIAGE_SHARED_DIR, TRIAGE_TEST_BIN_DIR (regex_split_dump). Exit 0 equal, 1 a mismatch,
77 ../shared or `tokenizers` absent. Checked that it can fail: with Debian Oniguruma's own
classes (before data/unicode/regex_classes.cpp) the GPT-2 pattern differed on 164 texts and
the Whitespace one on 171 (code points assigned in Unicode 15 and 16).
"""
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tokenizer_parity as tp  # noqa: E402  (corpus readers)

PATTERNS = {
    "gpt2": r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+",
    "whitespace": r"\w+|[^\w\s]+",
    "digits_ci": r"(?i)[a-z]+|\d{1,3}|[^a-z\d\s]",
    "llama3": r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
    "o200k": (r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
              r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
              r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"),
    "negated": r"\P{L}+|\p{^N}+|\W|\S\D|\p{P}\p{S}|\p{Z}|\p{C}|\p{Nd}",
}


def pieces_from_matches(n, matches):
    out, prev = [], 0
    for b, e in matches:
        if prev != b:
            out.append((prev, b))
        out.append((b, e))
        prev = e
    if prev != n:
        out.append((prev, n))
    return out


def main():
    shared, bin_dir = tp.oracle_inputs()
    from tokenizers import Regex, pre_tokenizers
    texts = tp.dataset_lines(shared) + tp.edge_lines() + tp.sweep_lines()
    texts = [t for t in texts if t]  # `tokenizers` reports an empty text as one empty piece
    data = "".join(json.dumps(t) + "\n" for t in texts).encode()
    bad_total = 0
    for name, pattern in PATTERNS.items():
        split = pre_tokenizers.Split(Regex(pattern), behavior="isolated")
        proc = subprocess.run([str(bin_dir / "regex_split_dump"), pattern], input=data, capture_output=True)
        if proc.returncode != 0:
            print(f"FAIL: regex_split_dump {name}: {proc.stderr.decode(errors='replace')}")
            return 1
        rows = proc.stdout.decode().splitlines()
        bad = 0
        for text, row in zip(texts, rows):
            want = [tuple(o) for _, o in split.pre_tokenize_str(text)]
            got = pieces_from_matches(len(text), [tuple(x) for x in json.loads(row)])
            if want != got:
                bad += 1
                if bad <= 3:
                    print(f"  {name}: {text[:60]!r}\n    tokenizers {want[:12]}\n    triage     {got[:12]}")
        print(f"{name}: {len(texts)} texts, {bad} mismatches")
        bad_total += bad
    return 1 if bad_total else 0


if __name__ == "__main__":
    sys.exit(main())
