#!/usr/bin/env python3
"""Tokenizer parity: triage's C++ tokenizers against the Python oracles.

WordPiece: ids and offsets (code points) must equal Hugging Face BertTokenizerFast with
return_offsets_mapping=True, for the uncased fixture (../shared/fixtures/wordpiece-uncased),
a cased variant (do_lower_case=False, same vocab), the same tokenizer loaded from vocab.txt +
tokenizer_config.json only, and the files triage's save() writes (loaded by AutoTokenizer).
SentencePiece: ids must equal the Python sentencepiece package's encode() for both fixture
models, and offsets its offset_mapping (surface spans) with whitespace trimmed off both ends
as HF XLMRobertaTokenizerFast reports them (a lone "▁" piece: the next character).

Corpus: every text line of ../shared/datasets (bitext_cs and snips seq.in, bitext_cs jsonl
texts, all splits), tests/data/tokenizer_edge_cases.txt, and a sweep over every Unicode
code point (64 per line) for the WordPiece tables.

Environment: TRIAGE_SHARED_DIR (default ../shared), TRIAGE_TEST_BIN_DIR (where tokenizer_dump
is; default build-tok/tests). Exit 0 all equal, 1 any mismatch, 77 ../shared absent.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def read_lines(path):
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


ESCAPE = re.compile(r"\\(U[0-9a-fA-F]{8}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|n|t|r|\\)")


def unescape(line):
    def sub(m):
        e = m.group(1)
        if e in ("n", "t", "r"):
            return {"n": "\n", "t": "\t", "r": "\r"}[e]
        if e == "\\":
            return "\\"
        return chr(int(e[1:], 16))
    return ESCAPE.sub(sub, line)


def dataset_lines(shared):
    lines = []
    ds = shared / "datasets"
    for name in ("bitext_cs", "snips"):
        for split in ("train", "dev", "test"):
            lines += read_lines(ds / name / split / "seq.in")
    for split in ("train", "dev", "test"):
        for row in read_lines(ds / "bitext_cs" / f"{split}.jsonl"):
            lines.append(json.loads(row)["text"])
    return lines


def edge_lines():
    out = []
    for line in read_lines(ROOT / "tests" / "data" / "tokenizer_edge_cases.txt"):
        if not line.startswith("#|"):
            out.append(unescape(line))
    return out


def sweep_lines():
    """Every code point except surrogates, 64 per line, alone and between letters."""
    cps = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    out = []
    for i in range(0, len(cps), 64):
        chunk = [chr(c) for c in cps[i:i + 64]]
        out.append(" ".join(chunk))
        out.append("a".join(chunk) + "b")
    return out


def oracle_inputs():
    """(shared dir, dump tools dir) for the parity scripts against the `tokenizers` package
    (regex, bpe, byte_level); exits 77 (skipped) when ../shared or the package is missing."""
    shared = Path(os.environ.get("TRIAGE_SHARED_DIR", ROOT.parent / "shared"))
    if not (shared / "datasets").is_dir():
        print(f"SKIP: shared data not found at {shared}")
        sys.exit(77)
    try:
        import tokenizers  # noqa: F401
    except ImportError as e:
        print(f"SKIP: tokenizers unavailable ({e})")
        sys.exit(77)
    return shared, Path(os.environ.get("TRIAGE_TEST_BIN_DIR", ROOT / "build" / "tests"))


def run_dump(bin_dir, args, texts):
    exe = bin_dir / "tokenizer_dump"
    data = "".join(json.dumps(t) + "\n" for t in texts)
    proc = subprocess.run([str(exe), *args], input=data.encode(), capture_output=True)
    if proc.returncode != 0:
        sys.exit(f"tokenizer_dump {' '.join(args)} failed ({proc.returncode}): "
                 f"{proc.stderr.decode(errors='replace')}")
    rows = [json.loads(l) for l in proc.stdout.decode().splitlines()]
    if len(rows) != len(texts):
        sys.exit(f"tokenizer_dump returned {len(rows)} rows for {len(texts)} texts")
    return rows


def compare(name, texts, expected, got, show=5):
    bad = 0
    for text, (ids, offs), row in zip(texts, expected, got):
        g_ids, g_offs = row.get("ids"), [tuple(o) for o in row.get("offsets", [])]
        if ids != g_ids or offs != g_offs:
            bad += 1
            if bad <= show:
                print(f"  MISMATCH {name}: text={text!r}")
                if "error" in row:
                    print(f"    triage error: {row['error']}")
                print(f"    oracle ids={ids}\n    triage ids={g_ids}")
                print(f"    oracle offsets={offs}\n    triage offsets={g_offs}")
    print(f"{name}: {len(texts)} texts, {len(texts) - bad} identical, {bad} mismatches")
    return bad


def hf_encode(tok, texts):
    out = []
    for i in range(0, len(texts), 2048):
        enc = tok(texts[i:i + 2048], return_offsets_mapping=True, add_special_tokens=True)
        out += [(ids, [tuple(o) for o in offs])
                for ids, offs in zip(enc["input_ids"], enc["offset_mapping"])]
    return out


def is_space(ch):
    return ch.isspace() and ch not in "\x1c\x1d\x1e\x1f"


def spm_encode(sp, texts):
    out = []
    for t in texts:
        ids = sp.encode(t)
        # offset_mapping: the pieces' surface spans in code points; triage trims whitespace
        # (str.isspace minus the separators Rust's char::is_whitespace lacks) off both ends.
        offs = []
        for b, end in sp.encode(t, out_type="offset_mapping")["offsets"]:
            e = end
            while b < e and is_space(t[b]):
                b += 1
            while e > b and is_space(t[e - 1]):
                e -= 1
            if b == e:  # a lone "▁": HF XLMRobertaTokenizerFast gives it the next character
                b = e = end
                e = min(e + 1, len(t))
            offs.append((b, e))
        out.append((ids, offs))
    return out


def main():
    shared = Path(os.environ.get("TRIAGE_SHARED_DIR", ROOT.parent / "shared"))
    if not (shared / "datasets").is_dir() or not (shared / "fixtures").is_dir():
        print(f"SKIP: shared data not found at {shared} (set TRIAGE_SHARED_DIR)")
        return 77
    bin_dir = Path(os.environ.get("TRIAGE_TEST_BIN_DIR", ROOT / "build-tok" / "tests"))
    if not (bin_dir / "tokenizer_dump").exists():
        print(f"FAIL: {bin_dir / 'tokenizer_dump'} not built")
        return 1

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")
    import sentencepiece as spm
    from transformers import AutoTokenizer, BertTokenizerFast
    from transformers.utils import logging
    logging.set_verbosity_error()

    data = dataset_lines(shared)
    edges = edge_lines()
    sweep = sweep_lines()
    corpus = data + edges
    print(f"corpus: {len(data)} dataset lines + {len(edges)} edge cases; "
          f"sweep: {len(sweep)} lines over all code points")

    fixture = shared / "fixtures" / "wordpiece-uncased"
    mismatches = 0
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cased_dir = tmp / "cased"
        cased = BertTokenizerFast.from_pretrained(str(fixture), do_lower_case=False)
        cased.save_pretrained(str(cased_dir))
        vocab_dir = tmp / "vocab-only"
        vocab_dir.mkdir()
        for f in ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json"):
            shutil.copy(fixture / f, vocab_dir / f)
        saved_dir = tmp / "saved-by-triage"
        run_dump(bin_dir, [str(fixture), "--save", str(saved_dir)], [])

        uncased = BertTokenizerFast.from_pretrained(str(fixture))
        configs = [
            ("wordpiece uncased (tokenizer.json)", uncased, fixture, corpus + sweep),
            ("wordpiece cased (do_lower_case=False)", cased, cased_dir, corpus + sweep),
            ("wordpiece uncased (vocab.txt only)", BertTokenizerFast.from_pretrained(str(vocab_dir)),
             vocab_dir, corpus),
            ("wordpiece saved by triage (AutoTokenizer)", AutoTokenizer.from_pretrained(str(saved_dir)),
             saved_dir, corpus),
        ]
        for name, hf, our_dir, texts in configs:
            expected = hf_encode(hf, texts)
            got = run_dump(bin_dir, [str(our_dir)], texts)
            mismatches += compare(name, texts, expected, got)
            total += len(texts)

    for model in sorted((shared / "fixtures" / "sentencepiece").glob("*.model")):
        sp = spm.SentencePieceProcessor(model_file=str(model))
        expected = spm_encode(sp, corpus)
        got = run_dump(bin_dir, ["--spm", str(model), "--no-special"], corpus)
        mismatches += compare(f"sentencepiece {model.name}", corpus, expected, got)
        total += len(corpus)

    print(f"total: {total} encodings compared, {mismatches} mismatches")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
