#!/usr/bin/env python3
"""A RoBERTa checkpoint with a byte-level BPE tokenizer.json, end to end (issue 16): a tiny
random RobertaModel and its RobertaTokenizerFast (trained here on the generated corpus,
saved by transformers' save_pretrained: tokenizer.json + tokenizer_config.json), then
  1. triage-model info loads it (tokenizer "tokenizer.json");
  2. triage-train fine-tunes it a few steps on a JSONL span set and on the same set converted
     to JointBERT (triage-data convert);
  3. triage-eval --model reports on the test split;
  4. triage-serve /v1/route answers texts with accents, CJK and emoji; every entity's text is
     exactly text[start:end] (code points). Against transformers' token-classification
     pipeline (aggregation "first") on the checkpoint triage saved: for a byte-level
     tokenizer the pipeline groups tokens into words by a fallback heuristic it warns about
     (a token is a new word when a space precedes it), triage by its data-layer words
     (data/words.h: whitespace and punctuation). Where the two notions of a word coincide,
     texts of ASCII letters and digits between single spaces, the spans must be equal
     (asserted), unless the pipeline emits an empty entity: a lone "Ġ" token whose offsets
     trim_offsets empties counts there as a word of its own (with its own label, which can
     also cut an entity in two), while triage gives a token that spans nothing no word.
     Elsewhere the agreement is printed (spans also differ where a word holds punctuation,
     "A-12345").
Exit 0 pass, 1 fail, 77 skipped. Env: TRIAGE_BIN_DIR.
"""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "serve_http"))
import serve_fixture as sf  # noqa: E402

BIN = sf.BIN


run = sf.run_tool


def main():
    try:
        import torch
        from tokenizers.implementations import ByteLevelBPETokenizer
        from transformers import (AutoModelForTokenClassification, AutoTokenizer, RobertaConfig,
                                  RobertaModel, RobertaTokenizerFast, pipeline)
        from transformers.utils import logging
    except ImportError as e:
        print(f"SKIP: python oracle unavailable ({e})")
        return 77
    logging.set_verbosity_error()
    tmp = tempfile.mkdtemp(prefix="triage-tokjson-")
    corpus = os.path.join(tmp, "corpus")
    run([os.path.join(BIN, "triage-data"), "generate", corpus, "--seed", "5", "--train", "240", "--dev", "24",
         "--test", "40"], "triage-data generate")
    def turn_texts(split):
        return [t["text"] for l in open(os.path.join(corpus, f"{split}.jsonl")) if l.strip()
                for t in json.loads(l)["turns"]]

    texts = turn_texts("train")

    # the tokenizer: byte-level BPE as RoBERTa's, saved the way transformers saves it
    vocab_dir = os.path.join(tmp, "bpe")
    os.makedirs(vocab_dir)
    bl = ByteLevelBPETokenizer()
    bl.train_from_iterator(texts + sf.TEXTS, vocab_size=800, min_frequency=2,
                           special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    bl.save_model(vocab_dir)
    tok = RobertaTokenizerFast.from_pretrained(vocab_dir)
    base = os.path.join(tmp, "tiny-roberta")
    tok.save_pretrained(base)
    torch.manual_seed(0)
    cfg = RobertaConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=48, max_position_embeddings=130, pad_token_id=tok.pad_token_id,
                        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)
    RobertaModel(cfg).save_pretrained(base)
    if not os.path.exists(os.path.join(base, "tokenizer.json")):
        print("FAIL: save_pretrained wrote no tokenizer.json")
        return 1

    info = run([os.path.join(BIN, "triage-model"), "info", "--model", base], "triage-model info")
    if "tokenizer.json" not in info:
        print(f"FAIL: triage-model info does not report the tokenizer.json pipeline:\n{info}")
        return 1
    print("triage-model info: loads (tokenizer.json)")

    common = ["--set", f"model.base={base}", "--set", "model.max_seq_len=64", "--set", "run.epochs=4",
              "--set", "run.batch_size=8", "--set", "run.threads=2", "--set", "optim.lr=3e-3",
              "--set", "run.eval_every=0"]
    out = os.path.join(tmp, "out-jsonl")
    run([os.path.join(BIN, "triage-train"), *common, "--set", f"data.train={corpus}/train.jsonl",
         "--set", f"data.dev={corpus}/dev.jsonl", "--set", f"run.output_dir={out}"], "triage-train (jsonl)")
    jb = os.path.join(tmp, "jointbert")
    for split in ("train", "dev"):
        run([os.path.join(BIN, "triage-data"), "convert", f"{corpus}/{split}.jsonl", f"{jb}/{split}",
             "--to", "jointbert"], f"triage-data convert {split}")
    out_jb = os.path.join(tmp, "out-jointbert")
    run([os.path.join(BIN, "triage-train"), *common, "--set", "run.epochs=1", "--set", f"data.train={jb}/train",
         "--set", f"data.dev={jb}/dev", "--set", f"run.output_dir={out_jb}"], "triage-train (jointbert)")
    print("triage-train: jsonl and jointbert runs finished")
    model = os.path.join(out, "last")

    report = run([os.path.join(BIN, "triage-eval"), "--model", model, "--data", f"{corpus}/test.jsonl"],
                 "triage-eval")
    print("triage-eval:", [l for l in report.splitlines() if "micro avg" in l or "accuracy" in l][:2])

    probe = sf.TEXTS + turn_texts("test")[:40]
    pipe = pipeline("token-classification", model=AutoModelForTokenClassification.from_pretrained(model),
                    tokenizer=AutoTokenizer.from_pretrained(model), aggregation_strategy="first", device="cpu")
    server = sf.Server(model, tmp)
    import re
    plain = re.compile(r"[A-Za-z0-9]+( [A-Za-z0-9]+)*")
    probe += [" ".join(re.findall(r"[A-Za-z0-9]+", t)) for t in probe]  # the same words, punctuation dropped
    bad = n_entities = plain_texts = plain_bad = 0
    try:
        for text in probe:
            r = server.post("/v1/route", {"text": text})
            if r.status != 200:
                print(f"FAIL: /v1/route answered {r.status} for {text!r}: {r.body[:300]!r}")
                return 1
            ents = r.json()["entities"]
            if (e := sf.misplaced_entity(text, ents)) is not None:
                print(f"FAIL: entity {e} is not text[start:end] of {text!r}")
                return 1
            got = sorted((e["start"], e["end"], e["label"]) for e in ents)
            want = sorted((e["start"], e["end"], e["entity_group"]) for e in pipe(text))
            n_entities += len(want)
            is_plain = plain.fullmatch(text) is not None and all(s < e for s, e, _ in want)
            plain_texts += is_plain
            if got != want:
                bad += 1
                plain_bad += is_plain
                if bad <= 3 or is_plain:
                    print(f"  MISMATCH{' (plain text)' if is_plain else ''} {text!r}\n"
                          f"    transformers {want}\n    triage       {got}")
    finally:
        server.stop()
    print(f"/v1/route: {len(probe)} texts, every entity is text[start:end]; vs the transformers pipeline: "
          f"{n_entities} entities there, {len(probe) - bad} texts with the same spans, {bad} differ; "
          f"plain texts (ASCII words, single spaces, no empty entity from the pipeline): {plain_texts}, "
          f"{plain_bad} differ")
    if plain_texts < 20:
        print(f"FAIL: only {plain_texts} plain texts were compared")
        return 1
    return 1 if plain_bad else 0


if __name__ == "__main__":
    sys.exit(main())
