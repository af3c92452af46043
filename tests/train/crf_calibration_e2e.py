#!/usr/bin/env python3
"""The CRF head and calibration end to end (issue 18), on a tiny random BERT and a generated
corpus, one intra-op thread:

- triage-train --set model.head=crf: config.json says triage_head crf, triage.json head crf and
  decode_mode crf, best/triage.json holds temperatures fitted on dev, summary.json the
  calibration measures.
- transformers' AutoModelForTokenClassification loads the checkpoint: the only unexpected keys
  are the three crf.* tensors, nothing is missing, and its token logits equal triage's
  (tests/model_dump) within 1e-4.
- triage-eval --decode crf, greedy and constrained all run; crf tags are valid BIO; the JSON has
  a calibration block; --calibrate rewrites triage.json; --plot writes a PNG.
- triage-serve on the CRF checkpoint answers with decode_mode crf in /v1/info.
- Bad input, each exit 2 with a message naming the key: decode.mode crf without the head
  (triage-train), --decode crf on a softmax checkpoint (triage-eval), decode.mode crf on a
  softmax checkpoint (triage-serve), model.head crf with label smoothing.

Exit 0 pass, 1 fail, 77 skipped. Env: TRIAGE_BIN_DIR.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("TRIAGE_BIN_DIR", os.path.join(ROOT, "build", "bin"))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "serve_http"))


def main():
    try:
        import torch
        import transformers
        from safetensors.torch import load_file
    except ImportError as e:
        print(f"SKIP: python oracle unavailable ({e})")
        return 77
    from tiny_families import save_tiny_base
    from serve_fixture import Checks, Server
    c = Checks()
    tmp = tempfile.mkdtemp(prefix="triage-crf-")
    corpus = os.path.join(tmp, "corpus")
    subprocess.run([os.path.join(BIN, "triage-data"), "generate", corpus, "--seed", "5", "--train", "300",
                    "--dev", "80", "--test", "80"], check=True, capture_output=True)
    base = save_tiny_base("bert", os.path.join(tmp, "tiny-bert"))
    common = ["--set", f"model.base={base}", "--set", "model.max_seq_len=64", "--set", f"data.train={corpus}/train.jsonl",
              "--set", f"data.dev={corpus}/dev.jsonl", "--set", f"data.test={corpus}/test.jsonl",
              "--set", "run.threads=1", "--set", "optim.lr=3e-3", "--set", "run.epochs=4", "--set", "run.batch_size=16"]
    train = [os.path.join(BIN, "triage-train")] + common
    out = os.path.join(tmp, "crf")
    r = subprocess.run(train + ["--set", "model.head=crf", "--set", f"run.output_dir={out}"], capture_output=True, text=True)
    if not c.check(r.returncode == 0, f"CRF training runs (rc {r.returncode}: {r.stderr[-1500:]})"):
        return c.done("crf_calibration_e2e")
    best = os.path.join(out, "best")
    cfg = json.load(open(os.path.join(best, "config.json")))
    meta = json.load(open(os.path.join(best, "triage.json")))
    summary = json.load(open(os.path.join(out, "summary.json")))
    c.check(cfg.get("triage_head") == "crf", "config.json triage_head crf")
    c.check(meta.get("head") == "crf" and meta.get("decode_mode") == "crf", f"triage.json head/decode_mode: {meta.get('head')} {meta.get('decode_mode')}")
    cal = meta.get("calibration", {})
    c.check(cal.get("intent_temperature", 0) > 0 and cal.get("token_temperature", 0) > 0 and
            cal.get("fitted_on", "").endswith("dev.jsonl"), f"best/triage.json calibration fitted on dev: {cal}")
    c.check("calibration" in summary and "intent_ece" in summary.get("test", {}), "summary.json reports calibration")
    print(f"  CRF run: test {summary.get('test')}; temperatures intent {cal.get('intent_temperature')} "
          f"token {cal.get('token_temperature')}")

    # transformers loads the token head; the crf tensors are the only unexpected keys
    model, info = transformers.AutoModelForTokenClassification.from_pretrained(best, output_loading_info=True)
    crf_keys = {"crf.end_transitions", "crf.start_transitions", "crf.transitions"}
    c.check(set(info["unexpected_keys"]) == crf_keys | {"intent_classifier.weight", "intent_classifier.bias"},
            f"unexpected keys in transformers (the CRF and triage's intent head): {info['unexpected_keys']}")
    c.check(not info["missing_keys"], f"missing keys in transformers: {info['missing_keys']}")
    st = load_file(os.path.join(best, "model.safetensors"))
    c.check(torch.equal(model.classifier.weight.detach(), st["classifier.weight"]), "transformers' classifier is triage's")

    # triage-eval: every decode mode; the greedy tags equal transformers' argmax over first sub-words
    ev = os.path.join(BIN, "triage-eval")
    test = os.path.join(corpus, "test.jsonl")
    for mode in ("crf", "greedy", "constrained"):
        j = os.path.join(tmp, f"eval-{mode}.json")
        r = subprocess.run([ev, "--model", best, "--data", test, "--decode", mode, "--mode", "strict", "--json", j,
                            "--threads", "1"], capture_output=True, text=True)
        c.check(r.returncode == 0, f"triage-eval --decode {mode} (rc {r.returncode}: {r.stderr[-500:]})")
        if r.returncode == 0:
            res = json.load(open(j))
            c.check("calibration" in res and res["calibration"]["intent"]["temperature"] == cal.get("intent_temperature"),
                    f"--decode {mode}: calibration block with the stored temperature")
            print(f"  eval --decode {mode}: strict entity F1 {res['entity']['f1']:.4f}")
    # the token head transformers loads computes triage's logits (model_dump: triage's forward)
    from safetensors.torch import save_file
    tok = transformers.AutoTokenizer.from_pretrained(best)
    rows = [json.loads(l)["turns"][0]["text"] for l in open(test) if l.strip()]
    enc = tok(rows[:8], padding=True, truncation=True, max_length=64, return_tensors="pt")
    ins, outs = os.path.join(tmp, "in.safetensors"), os.path.join(tmp, "out.safetensors")
    save_file({"input_ids": enc["input_ids"].contiguous(), "attention_mask": enc["attention_mask"].contiguous()}, ins)
    dump = os.environ.get("TRIAGE_MODEL_DUMP", os.path.join(BIN, "..", "tests", "model_dump"))
    r = subprocess.run([dump, "--model", best, "--inputs", ins, "--out", outs], capture_output=True, text=True)
    if c.check(r.returncode == 0, f"model_dump (rc {r.returncode}: {r.stderr[-300:]})"):
        ours = load_file(outs)["token_logits"]
        model.eval()
        with torch.no_grad():
            theirs = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).logits
        m = enc["attention_mask"].bool()
        diff = (ours[m] - theirs[m]).abs().max().item()
        c.check(diff < 1e-4, f"transformers' logits from the CRF checkpoint equal triage's: max |diff| {diff:.2e}")

    # --calibrate rewrites triage.json, --plot writes a PNG
    png = os.path.join(tmp, "rel.png")
    r = subprocess.run([ev, "--model", best, "--data", os.path.join(corpus, "dev.jsonl"), "--calibrate", "--plot", png,
                        "--threads", "1"], capture_output=True, text=True)
    c.check(r.returncode == 0 and "calibration" in r.stdout, f"triage-eval --calibrate (rc {r.returncode}: {r.stderr[-300:]})")
    c.check(os.path.exists(png) and open(png, "rb").read(4) == b"\x89PNG", "--plot writes a PNG")
    meta2 = json.load(open(os.path.join(best, "triage.json")))
    c.check(meta2.get("head") == "crf" and meta2.get("labels") == meta.get("labels") and "calibration" in meta2,
            "--calibrate keeps every other triage.json key")

    # serve: decode_mode crf by default
    s = Server(best, tmp)
    try:
        info_doc = s.call("GET", "/v1/info").json()
        c.check(info_doc["model"].get("decode_mode") == "crf", f"/v1/info decode_mode: {info_doc['model'].get('decode_mode')}")
        ans = s.post("/v1/tag", {"texts": rows[:2]})
        c.check(ans.status == 200, f"/v1/tag on the CRF checkpoint: {ans.status}")
    finally:
        s.stop()

    # bad input: exit 2, the key named
    soft = os.path.join(tmp, "soft")
    r = subprocess.run(train + ["--set", "run.max_steps=2", "--set", f"run.output_dir={soft}", "--set", "data.dev=",
                                "--set", "data.test="], capture_output=True, text=True)
    c.check(r.returncode == 0, f"softmax run (rc {r.returncode}: {r.stderr[-500:]})")
    bad = [
        (train + ["--set", "decode.mode=crf", "--set", f"run.output_dir={tmp}/x"], "decode.mode: crf needs a CRF head"),
        (train + ["--set", "model.head=crf", "--set", "loss.label_smoothing=0.1", "--set", f"run.output_dir={tmp}/y"],
         "model.head: crf does not combine with loss.label_smoothing"),
        ([ev, "--model", f"{soft}/last", "--data", test, "--decode", "crf"], "--decode: crf needs a checkpoint with a CRF head"),
        ([os.path.join(BIN, "triage-serve"), "--model", f"{soft}/last", "--port", "0", "--set", "decode.mode=crf"],
         "decode.mode: crf needs a checkpoint with a CRF head"),
    ]
    for cmd, want in bad:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        c.check(r.returncode == 2 and want in r.stderr, f"{os.path.basename(cmd[0])}: exit 2 naming '{want}' "
                f"(rc {r.returncode}: {r.stderr[-400:]})")
    return c.done("crf_calibration_e2e", tmp)


if __name__ == "__main__":
    sys.exit(main())
