"""Independent check of the synthetic corpus (data/generate) in Python.

Writes the default corpus with generate_corpus_tool, then checks with Python's own string
indexing (code points) that every span is in range, non-empty, trimmed and non-overlapping;
with the BERT uncased WordPiece tokenizer from ../shared (skipped when absent) that every span
starts and ends on a token boundary, so BIO tags can represent it exactly; and that a
bag-of-words naive Bayes classifier on the customer turns reaches high intent accuracy on test
(the intent is inferable from the customer's words). Exit 0 pass, 1 fail, 77 skipped.
"""
import collections
import json
import math
import os
import pathlib
import re
import subprocess
import sys
import tempfile

LABELS = {"order_id", "account_id", "email", "phone", "product", "amount", "date", "error_code", "person_name"}
INTENTS = {"billing", "refund", "shipping", "technical_issue", "account_access", "cancellation", "complaint",
           "general_question"}


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def main():
    tool = pathlib.Path(os.environ.get("TRIAGE_TEST_BIN_DIR", "build/tests")) / "generate_corpus_tool"
    if not tool.exists():
        print(f"skip: {tool} not built")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([str(tool), tmp, "42"], check=True, stdout=subprocess.DEVNULL)
        splits = {}
        for name in ("train", "dev", "test"):
            with open(os.path.join(tmp, name + ".jsonl"), encoding="utf-8") as f:
                splits[name] = [json.loads(line) for line in f]
    if [len(splits[s]) for s in ("train", "dev", "test")] != [2000, 300, 300]:
        fail("default sizes are not 2000/300/300")

    tokenizer = None
    tok_path = pathlib.Path(os.environ.get("TRIAGE_SHARED_DIR", "../shared")) / "fixtures/wordpiece-uncased/tokenizer.json"
    try:
        from tokenizers import Tokenizer
        if tok_path.exists():
            tokenizer = Tokenizer.from_file(str(tok_path))
    except ImportError:
        pass
    if tokenizer is None:
        print(f"note: token-boundary check skipped ({tok_path} or the tokenizers package missing)")

    n_spans = 0
    for name, rows in splits.items():
        for i, row in enumerate(rows):
            where = f"{name}.jsonl:{i + 1}"
            if set(row) != {"id", "turns", "entities", "intent"}:
                fail(f"{where}: keys {sorted(row)}")
            if row["intent"] not in INTENTS:
                fail(f"{where}: intent {row['intent']}")
            texts = [t["text"] for t in row["turns"]]
            by_turn = collections.defaultdict(list)
            for e in row["entities"]:
                text = texts[e["turn"]]
                s, t = e["start"], e["end"]
                if e["label"] not in LABELS or not (0 <= s < t <= len(text)):
                    fail(f"{where}: bad span {e} for text {text!r}")
                span = text[s:t]
                if span != span.strip() or span[-1] in ".,!?;:":
                    fail(f"{where}: untrimmed span {span!r}")
                by_turn[e["turn"]].append((s, t))
                n_spans += 1
            for spans in by_turn.values():
                spans.sort()
                for (s0, t0), (s1, t1) in zip(spans, spans[1:]):
                    if s1 < t0:
                        fail(f"{where}: overlapping spans {(s0, t0)} {(s1, t1)}")
            if tokenizer is not None:
                for turn, spans in by_turn.items():
                    enc = tokenizer.encode(texts[turn], add_special_tokens=False)
                    starts = {a for a, b in enc.offsets}
                    ends = {b for a, b in enc.offsets}
                    for s, t in spans:
                        if s not in starts or t not in ends:
                            fail(f"{where}: span {texts[turn][s:t]!r} ({s},{t}) is not on token boundaries: "
                                 f"{enc.tokens}")

    # Intent from the customer's words alone: multinomial naive Bayes, add-one smoothing.
    def words(row):
        text = " ".join(t["text"] for t in row["turns"] if t["speaker"] == "customer").lower()
        return re.findall(r"[a-z']+", text)

    counts = collections.defaultdict(collections.Counter)
    docs = collections.Counter()
    for row in splits["train"]:
        counts[row["intent"]].update(words(row))
        docs[row["intent"]] += 1
    vocab = set().union(*counts.values())
    totals = {k: sum(c.values()) for k, c in counts.items()}

    def predict(row):
        best, best_lp = None, -math.inf
        for k in counts:
            lp = math.log(docs[k]) + sum(math.log((counts[k][w] + 1) / (totals[k] + len(vocab))) for w in words(row))
            if lp > best_lp:
                best, best_lp = k, lp
        return best

    acc = sum(predict(r) == r["intent"] for r in splits["test"]) / len(splits["test"])
    print(f"ok: {n_spans} spans checked; naive Bayes intent accuracy on test (customer turns only): {acc:.3f}")
    if acc < 0.85:
        fail(f"intent is not learnable enough from the customer text: naive Bayes accuracy {acc:.3f} < 0.85")
    return 0


if __name__ == "__main__":
    sys.exit(main())
