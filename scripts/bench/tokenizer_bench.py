#!/usr/bin/env python3
"""Tokenizer throughput, one thread: triage (C++) vs Hugging Face tokenizers (Rust).

Corpus: every text line of ../shared/datasets (bitext_cs + snips seq.in, bitext_cs jsonl
texts; all splits). Tokenizers: ../shared/fixtures/wordpiece-uncased (triage's WordPiece),
and a RoBERTa-style byte-level BPE trained here on the corpus (50,265 tokens at most, as
roberta-base; saved by transformers' RobertaTokenizerFast, run by triage's tokenizer.json
pipeline), and an XLM-R-style Unigram: a SentencePiece unigram model (nmt_nfkc rules, 8,000
pieces at most) trained here on the corpus, converted by transformers' XLMRobertaTokenizer
(Precompiled charsmap, WhitespaceSplit + Metaspace, Unigram). Both sides encode each
line with special tokens, no truncation or padding, for at least --seconds, and report
lines/s. HF runs in a child process with RAYON_NUM_THREADS=1 and TOKENIZERS_PARALLELISM=false,
once as a loop of Tokenizer.encode(line) and once as encode_batch(all lines).

    .venv/bin/python scripts/bench/tokenizer_bench.py [--seconds 5]
Environment: TRIAGE_SHARED_DIR (default ../shared), TRIAGE_TEST_BIN_DIR (default
build-tok/tests, where tokenizer_bench is built).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HF_CHILD = r"""
import json, sys, time
from tokenizers import Tokenizer
path, corpus, seconds, mode = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
tok = Tokenizer.from_file(path)
tok.no_truncation()
tok.no_padding()
lines = open(corpus, encoding="utf-8").read().split("\n")[:-1]
tokens = sum(len(e.ids) for e in tok.encode_batch(lines))  # warm-up
passes = 0
t0 = time.perf_counter()
while True:
    if mode == "encode":
        for l in lines:
            tok.encode(l)
    else:
        tok.encode_batch(lines)
    passes += 1
    elapsed = time.perf_counter() - t0
    if elapsed >= seconds:
        break
print(json.dumps({"impl": f"HF tokenizers {mode}", "lines": len(lines), "passes": passes,
                  "seconds": elapsed, "lines_per_s": len(lines) * passes / elapsed,
                  "tokens_per_s": tokens * passes / elapsed}))
"""


def corpus_lines(shared):
    ds = shared / "datasets"
    lines = []
    for name in ("bitext_cs", "snips"):
        for split in ("train", "dev", "test"):
            lines += (ds / name / split / "seq.in").read_text(encoding="utf-8").split("\n")[:-1]
    for split in ("train", "dev", "test"):
        for row in (ds / "bitext_cs" / f"{split}.jsonl").read_text(encoding="utf-8").splitlines():
            lines.append(json.loads(row)["text"])
    assert not any("\n" in l for l in lines)
    return lines


def roberta_dir(lines, tmp):
    """A RoBERTa-style tokenizer trained on the corpus, saved the way transformers saves it."""
    from tokenizers.implementations import ByteLevelBPETokenizer
    from transformers import RobertaTokenizerFast
    bl = ByteLevelBPETokenizer()
    bl.train_from_iterator(lines, vocab_size=50265, min_frequency=2,
                           special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    (tmp / "bpe").mkdir()
    bl.save_model(str(tmp / "bpe"))
    out = tmp / "roberta"
    RobertaTokenizerFast.from_pretrained(str(tmp / "bpe")).save_pretrained(str(out))
    return out


def unigram_dir(lines, tmp):
    """An XLM-R-style tokenizer.json from a SentencePiece unigram model trained on the corpus."""
    import sentencepiece as spm
    from transformers import AutoTokenizer
    src = tmp / "spm"
    src.mkdir()
    (tmp / "spm.txt").write_text("".join(l + "\n" for l in lines), encoding="utf-8")
    spm.SentencePieceTrainer.train(input=str(tmp / "spm.txt"), model_prefix=str(src / "sentencepiece.bpe"),
                                   vocab_size=8000, model_type="unigram", hard_vocab_limit=False,
                                   num_threads=1, minloglevel=2)
    (src / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "XLMRobertaTokenizer"}))
    out = tmp / "unigram"
    AutoTokenizer.from_pretrained(str(src)).save_pretrained(str(out))
    return out


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()
    shared = Path(os.environ.get("TRIAGE_SHARED_DIR", ROOT.parent / "shared"))
    if not (shared / "datasets").is_dir():
        print(f"SKIP: shared data not found at {shared}")
        return 77
    bench = Path(os.environ.get("TRIAGE_TEST_BIN_DIR", ROOT / "build-tok" / "tests")) / "tokenizer_bench"
    if not bench.exists():
        print(f"error: {bench} not built (cmake --build build-tok --target tokenizer_bench)")
        return 1
    lines = corpus_lines(shared)
    import tokenizers
    print(f"corpus: {len(lines)} lines from {shared / 'datasets'}")
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores; one thread; tokenizers {tokenizers.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text("".join(l + "\n" for l in lines), encoding="utf-8")
        for name, tok_dir in (("wordpiece-uncased", shared / "fixtures" / "wordpiece-uncased"),
                              ("byte-level BPE, RoBERTa style", roberta_dir(lines, Path(tmp))),
                              ("Unigram, XLM-R style", unigram_dir(lines, Path(tmp)))):
            results = [json.loads(subprocess.run([str(bench), str(tok_dir), str(corpus), "--seconds", str(args.seconds)],
                                                 check=True, capture_output=True, text=True).stdout)]
            env = dict(os.environ, RAYON_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
            for mode in ("encode", "encode_batch"):
                out = subprocess.run([sys.executable, "-c", HF_CHILD, str(tok_dir / "tokenizer.json"),
                                      str(corpus), str(args.seconds), mode],
                                     check=True, capture_output=True, text=True, env=env).stdout
                results.append(json.loads(out))
            base = results[1]["lines_per_s"]
            print(f"\n{name}:\n")
            print("| implementation | lines/s | tokens/s | vs HF encode |")
            print("|---|---:|---:|---:|")
            for r in results:
                print(f"| {r['impl']} | {r['lines_per_s']:,.0f} | {r['tokens_per_s']:,.0f} | "
                      f"{r['lines_per_s'] / base:.1f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
