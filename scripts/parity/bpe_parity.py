#!/usr/bin/env python3
"""data::BpeModel against the `tokenizers` BPE model, piece by piece: the same pre-tokenized
pieces (each configuration's own pre-tokenizer, run by `tokenizers`) go through
`tokenizer.model.tokenize` and through bpe_dump; ids and offsets (converted to characters
of the piece) must be equal. Configurations, trained here on the shared corpus:
  bytelevel   ByteLevelBPETokenizer (GPT-2 / RoBERTa / ModernBERT style), merges as pairs
  bytelevel_strmerges  the same file with merges written as "a b" strings
  ignore_merges  the same with ignore_merges true (Llama-3 style)
  char_suffix  CharBPETokenizer: end_of_word_suffix "</w>", unk "<unk>"
  prefix       continuing_subword_prefix "##" (BpeTrainer), unk "[UNK]"
  byte_fallback  Metaspace pieces, byte_fallback with <0x00>..<0xFF>, unk "<unk>", fuse_unk
Corpus: every text line of ../shared/datasets and tests/data/tokenizer_edge_cases.txt, plus
the Unicode sweep for bytelevel, char_suffix and byte_fallback (scripts/parity/
tokenizer_parity.py's sets).
Env: TRIAGE_SHARED_DIR, TRIAGE_TEST_BIN_DIR (bpe_dump). Exit 0 equal, 1 a mismatch, 77 absent.
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tokenizer_parity as tp  # noqa: E402


# the configurations that also get the all-code-point sweep (the others differ from them
# only in how merges are written, ignore_merges or the prefix: the dataset lines cover that)
SWEEP = {"bytelevel", "char_suffix", "byte_fallback"}


def piece_tokens(model, piece):
    """[id, begin, end] per token of `piece`, byte offsets turned into the characters they
    touch (a byte-fallback token covers part of a character: it gets the whole character,
    which is what data::BpeModel reports)."""
    toks = model.tokenize(piece)
    if piece.isascii():
        return [[t.id, *t.offsets] for t in toks]
    owner = [i for i, ch in enumerate(piece) for _ in ch.encode()]
    return [[t.id, owner[t.offsets[0]], owner[t.offsets[1] - 1] + 1] for t in toks]


def build(train_lines, tmp):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from tokenizers.implementations import ByteLevelBPETokenizer, CharBPETokenizer
    out = {}
    bl = ByteLevelBPETokenizer()
    bl.train_from_iterator(train_lines, vocab_size=4000, min_frequency=2)
    out["bytelevel"] = bl._tokenizer
    j = json.loads(bl._tokenizer.to_str())
    j["model"]["merges"] = [" ".join(m) if isinstance(m, list) else m for m in j["model"]["merges"]]
    out["bytelevel_strmerges"] = Tokenizer.from_str(json.dumps(j))
    j["model"]["ignore_merges"] = True
    out["ignore_merges"] = Tokenizer.from_str(json.dumps(j))
    cb = CharBPETokenizer(unk_token="<unk>")
    cb.train_from_iterator(train_lines, vocab_size=3000, min_frequency=2, special_tokens=["<unk>"],
                           limit_alphabet=300)
    out["char_suffix"] = cb._tokenizer
    t = Tokenizer(models.BPE(unk_token="[UNK]", continuing_subword_prefix="##"))
    t.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    t.train_from_iterator(train_lines, trainers.BpeTrainer(vocab_size=3000, special_tokens=["[UNK]"],
                                                            continuing_subword_prefix="##", limit_alphabet=300))
    out["prefix"] = t
    t = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    t.pre_tokenizer = pre_tokenizers.Metaspace()
    t.train_from_iterator(train_lines, trainers.BpeTrainer(
        vocab_size=3000, special_tokens=["<unk>"] + [f"<0x{b:02X}>" for b in range(256)], limit_alphabet=200))
    out["byte_fallback"] = t
    paths = {}
    for name, tok in out.items():
        paths[name] = os.path.join(tmp, f"{name}.json")
        with open(paths[name], "w") as f:
            f.write(tok.to_str())
    return out, paths


def main():
    shared, bin_dir = tp.oracle_inputs()
    data = tp.dataset_lines(shared)
    base = [t for t in data + tp.edge_lines() if t]
    sweep = [t for t in tp.sweep_lines() if t]
    bad_total, count = 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        toks, paths = build(data, tmp)
        for name, tok in toks.items():
            texts = base + sweep if name in SWEEP else base
            pieces = [[p for p, _ in tok.pre_tokenizer.pre_tokenize_str(t)] for t in texts]
            inp = "".join(json.dumps(p) + "\n" for p in pieces).encode()
            proc = subprocess.run([str(bin_dir / "bpe_dump"), paths[name]], input=inp, capture_output=True)
            if proc.returncode != 0:
                print(f"FAIL: bpe_dump {name}: {proc.stderr.decode(errors='replace')}")
                return 1
            rows = proc.stdout.decode().splitlines()
            bad = 0
            for text, ps, row in zip(texts, pieces, rows):
                got = json.loads(row)
                want = [piece_tokens(tok.model, p) for p in ps]
                count += sum(len(p) for p in want)
                if got != want:
                    bad += 1
                    if bad <= 3:
                        print(f"  {name}: {text[:60]!r}\n    tokenizers {str(want)[:300]}\n    triage     {str(got)[:300]}")
            print(f"{name}: {len(texts)} texts, {bad} mismatches")
            bad_total += bad
    print(f"{count} tokens compared")
    return 1 if bad_total else 0


if __name__ == "__main__":
    sys.exit(main())
