#!/usr/bin/env python3
"""Every encoder family beyond bert / roberta end to end (issue 17): for distilbert, electra
(embedding_size != hidden_size), deberta-v2 (v3-style: relative attention with log buckets,
shared keys, no absolute positions) and modernbert (a local window narrower than the inputs),
a tiny random base model saved by transformers with the shared WordPiece tokenizer (the
families' own tokenizer.json kinds have their parity in tests/data/tokenizer_json_parity.py),
then
  1. triage-train fine-tunes it (JointBERT set from the generated corpus, 300 steps): the
     training loss falls (mean of the last 3 records below the first record's) and best/ and
     last/ are written;
  2. the saved checkpoint loads in AutoModelForTokenClassification with no missing keys;
  3. triage-eval --model reports on the test split;
  4. triage-serve answers /v1/route for texts with accents, CJK and emoji; every entity is
     text[start:end], and the spans equal transformers' token-classification pipeline
     (aggregation "first", word-aware for WordPiece) on the same checkpoint, up to the
     combining marks after a span's last letter, which triage keeps with their letter and
     the pipeline leaves out (uncased WordPiece strips them, so no token covers them);
  5. /admin/reload switches the running server through every family and back to the first,
     and the answers follow the loaded model.
Needs ../shared/fixtures/wordpiece-uncased (TRIAGE_SHARED_DIR). Exit 0 pass, 1 fail, 77
skipped. Env: TRIAGE_BIN_DIR.
"""
import json
import os
import shutil
import sys
import tempfile
import unicodedata

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "serve_http"))
import serve_fixture as sf  # noqa: E402
from tiny_families import FAMILIES, tiny_base  # noqa: E402

BIN = sf.BIN
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.environ.get("TRIAGE_SHARED_DIR") or os.path.join(ROOT, "..", "shared")
TOKEN = "family-e2e-token"


run = sf.run_tool


def decode_modes(tmp, model, jb):
    """decode.mode (issue 18) end to end: a checkpoint records the mode it was trained with,
    triage-eval decodes with it or with --decode, and refuses a mode it does not know."""
    import subprocess
    meta = json.load(open(os.path.join(model, "triage.json")))
    if meta.get("decode_mode") != "greedy":
        return f"triage.json decode_mode {meta.get('decode_mode')!r}, expected 'greedy' (the default)"
    out = os.path.join(tmp, "out-constrained")
    run([os.path.join(BIN, "triage-train"), "--set", f"model.base={model}", "--set", "run.max_steps=4",
         "--set", "run.batch_size=8", "--set", "run.threads=2", "--set", "decode.mode=constrained",
         "--set", f"data.train={jb}/train", "--set", f"data.dev={jb}/dev", "--set", f"run.output_dir={out}"],
        "triage-train decode.mode=constrained")
    meta = json.load(open(os.path.join(out, "last", "triage.json")))
    if meta.get("decode_mode") != "constrained":
        return f"decode.mode=constrained wrote decode_mode {meta.get('decode_mode')!r}"
    for mode in ("greedy", "constrained"):
        run([os.path.join(BIN, "triage-eval"), "--model", model, "--data", f"{jb}/test", "--decode", mode,
             "--mode", "strict"], f"triage-eval --decode {mode}")
    r = subprocess.run([os.path.join(BIN, "triage-eval"), "--model", model, "--data", f"{jb}/test", "--decode", "crf2"],
                       capture_output=True, text=True)
    if r.returncode != 2 or "--decode" not in r.stderr:
        return f"--decode crf2: exit {r.returncode}, expected 2 naming --decode: {r.stderr.strip()!r}"
    print("decode modes: triage.json records decode.mode; triage-eval --decode greedy / constrained ran, an unknown "
          "mode exits 2")
    return None


def bad_checkpoints(tmp):
    """Checkpoints that contradict themselves or name what triage does not run: triage-model
    info exits 2 with one error naming the file and the key or tensor. None when all hold."""
    import subprocess
    from safetensors.torch import load_file, save_file

    def variant(family, name, config=None, drop=None):
        src, dst = os.path.join(tmp, f"tiny-{family}"), os.path.join(tmp, f"bad-{name}")
        shutil.copytree(src, dst)
        if config:
            with open(os.path.join(dst, "config.json")) as f:
                c = json.load(f)
            c.update(config)
            with open(os.path.join(dst, "config.json"), "w") as f:
                json.dump(c, f)
        if drop:
            w = load_file(os.path.join(dst, "model.safetensors"))
            del w[drop]
            save_file(w, os.path.join(dst, "model.safetensors"), metadata={"format": "pt"})
        return dst

    cases = [  # (directory, what the error must name)
        (variant("modernbert", "window", {"local_attention": 512}), ["config.json", "'local_attention'", "512"]),
        (variant("deberta-v2", "heads", {"num_attention_heads": 5}), ["config.json", "'num_attention_heads'"]),
        (variant("deberta-v2", "norel", drop="encoder.rel_embeddings.weight"),
         ["model.safetensors", "encoder.rel_embeddings.weight"]),
        (variant("electra", "act", {"hidden_act": "swish2"}), ["config.json", "'hidden_act'", "swish2"]),
        (variant("distilbert", "family", {"model_type": "albert"}), ["config.json", "'model_type'", "albert"]),
    ]
    for d, names in cases:
        r = subprocess.run([os.path.join(BIN, "triage-model"), "info", "--model", d], capture_output=True, text=True)
        err = r.stderr.strip()
        if r.returncode != 2 or any(n not in err for n in names) or len(err.splitlines()) != 1:
            return f"{os.path.basename(d)}: exit {r.returncode}, expected 2 and one line naming {names}: {err!r}"
        print(f"{os.path.basename(d)}: exit 2: {err}")
    return None


def main():
    try:
        import torch
        from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline
        from transformers.utils import logging
    except ImportError as e:
        print(f"SKIP: python oracle unavailable ({e})")
        return 77
    fixture = os.path.join(SHARED, "fixtures", "wordpiece-uncased")
    if not os.path.isdir(fixture):
        print(f"SKIP: shared fixtures not found at {fixture}")
        return 77
    logging.set_verbosity_error()
    tmp = tempfile.mkdtemp(prefix="triage-family-")
    corpus = os.path.join(tmp, "corpus")
    run([os.path.join(BIN, "triage-data"), "generate", corpus, "--seed", "7", "--train", "240", "--dev", "24",
         "--test", "40"], "triage-data generate")
    jb = os.path.join(tmp, "jointbert")
    for split in ("train", "dev", "test"):
        run([os.path.join(BIN, "triage-data"), "convert", f"{corpus}/{split}.jsonl", f"{jb}/{split}",
             "--to", "jointbert"], f"triage-data convert {split}")

    vocab = 30522
    torch.manual_seed(0)
    bases = {f: tiny_base(f, vocab) for f in FAMILIES if f != "bert"}
    trained = {}
    for family, m in bases.items():
        base = os.path.join(tmp, f"tiny-{family}")
        m.save_pretrained(base)
        for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
            shutil.copy(os.path.join(fixture, f), base)
        out = os.path.join(tmp, f"out-{family}")
        run([os.path.join(BIN, "triage-train"), "--set", f"model.base={base}", "--set", "model.max_seq_len=64",
             "--set", "run.epochs=10", "--set", "run.batch_size=8", "--set", "run.threads=2", "--set", "optim.lr=3e-3",
             "--set", "run.log_every=25", "--set", "run.eval_every=0", "--set", f"data.train={jb}/train",
             "--set", f"data.dev={jb}/dev", "--set", f"run.output_dir={out}"], f"triage-train ({family})")
        losses = [r["loss"] for r in map(json.loads, open(os.path.join(out, "metrics.jsonl")))
                  if r.get("type") == "train"]
        if len(losses) < 4 or sum(losses[-3:]) / 3 >= losses[0]:
            print(f"FAIL: {family}: the training loss did not fall: {losses}")
            return 1
        for d in ("best", "last"):
            if not os.path.exists(os.path.join(out, d, "model.safetensors")):
                print(f"FAIL: {family}: {d}/ was not written")
                return 1
        model = os.path.join(out, "last")
        _, info = AutoModelForTokenClassification.from_pretrained(model, output_loading_info=True)
        if info.get("missing_keys"):
            print(f"FAIL: {family}: transformers misses {info['missing_keys']} in what triage saved")
            return 1
        report = run([os.path.join(BIN, "triage-eval"), "--model", model, "--data", f"{jb}/test"], "triage-eval")
        print(f"{family}: loss {losses[0]:.3f} -> {losses[-1]:.3f} over {len(losses)} records; triage-eval:",
              [l.strip() for l in report.splitlines() if "micro avg" in l or "accuracy" in l][:2])
        trained[family] = model

    if (bad := decode_modes(tmp, trained["distilbert"], jb)) is not None:
        print(f"FAIL: {bad}")
        return 1
    if (bad := bad_checkpoints(tmp)) is not None:
        print(f"FAIL: {bad}")
        return 1

    probe = sf.TEXTS + [json.loads(l)["turns"][0]["text"] for l in open(f"{corpus}/test.jsonl") if l.strip()][:30]
    order = [trained[f] for f in bases] + [trained["distilbert"]]
    srv = sf.Server(order[0], tmp, env={"TRIAGE_ADMIN_TOKEN": TOKEN})
    auth = {"Authorization": f"Bearer {TOKEN}"}
    try:
        versions = []
        for i, model in enumerate(order):
            if i > 0:
                r = srv.post("/admin/reload", {"model": model}, headers=auth, timeout=120)
                if r.status != 200 or r.json().get("status") != "reloaded":
                    print(f"FAIL: reload to {model}: {r}")
                    return 1
            info = srv.call("GET", "/v1/info").json()["model"]
            versions.append(info.get("version"))
            if info.get("packed_weights") is not True or not str(info.get("compute_path")).startswith("packed"):
                print(f"FAIL: {model}: every family serves on the packed CPU path; /v1/info says packed_weights "
                      f"{info.get('packed_weights')!r}, compute_path {info.get('compute_path')!r}")
                return 1
            pipe = pipeline("token-classification", model=AutoModelForTokenClassification.from_pretrained(model),
                            tokenizer=AutoTokenizer.from_pretrained(model), aggregation_strategy="first", device="cpu")
            bad = n = 0
            for text in probe:
                r = srv.post("/v1/route", {"text": text})
                if r.status != 200:
                    print(f"FAIL: /v1/route answered {r.status} for {text!r}: {r.body[:300]!r}")
                    return 1
                ents = r.json()["entities"]
                if (e := sf.misplaced_entity(text, ents)) is not None:
                    print(f"FAIL: entity {e} is not text[start:end] of {text!r}")
                    return 1
                def with_marks(end):
                    while end < len(text) and unicodedata.category(text[end]) == "Mn":
                        end += 1
                    return end
                got = sorted((e["start"], e["end"], e["label"]) for e in ents)
                want = sorted((e["start"], with_marks(e["end"]), e["entity_group"]) for e in pipe(text)
                              if e["end"] > e["start"])
                n += len(want)
                if got != want:
                    bad += 1
                    if bad <= 3:
                        print(f"  MISMATCH {os.path.basename(os.path.dirname(model))} {text!r}\n"
                              f"    transformers {want}\n    triage       {got}")
            print(f"/v1/route on {os.path.basename(os.path.dirname(model))}: {len(probe)} texts, {n} entities, "
                  f"{bad} texts differ from the transformers pipeline")
            if bad:
                return 1
        if len(set(versions[:-1])) != len(bases) or versions[0] != versions[-1]:
            print(f"FAIL: /v1/info versions across the reloads: {versions}")
            return 1
    finally:
        srv.stop()
    print(f"family e2e: {', '.join(bases)} train, evaluate, serve and reload")
    return 0


if __name__ == "__main__":
    sys.exit(main())
