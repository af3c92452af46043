#!/usr/bin/env python3
"""The annotation tools' formats against their own definitions (issue 19), on a generated
support corpus (multi-turn transcripts, accents, emoji) and bitext_cs when ../shared is there:

- round trip: jsonl -> labelstudio | doccano | prodigy -> jsonl equals jsonl -> jsonl (ids,
  texts, spans, intents; transcripts flattened the same way);
- Label Studio's own converter (label-studio-sdk, label_studio_sdk.converter.Converter) parses
  the tasks triage-data writes: its CONLL2003 export, read back by triage-data, has the same
  entities (labels and surface text without spaces, trimmed of edge punctuation, which that
  converter's tokenizer attaches to a neighbouring word: "2." for "2") per task as the corpus, and its JSON_MIN export the same
  UTF-16 offsets; every value.text is the JavaScript (UTF-16) slice of the text;
- doccano and Prodigy files follow their documented schemas, offsets sliced as Python does;
- triage-model tag --output-format labelstudio writes tasks with predictions whose results
  are well-formed the same way (model_version, scores in [0, 1]).

Exit 0 pass, 1 fail, 77 skipped. Env: TRIAGE_BIN_DIR, TRIAGE_SHARED_DIR.
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
SHARED = os.environ.get("TRIAGE_SHARED_DIR", os.path.join(ROOT, "..", "shared"))
FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("  FAIL:", what)
    return cond


def run(*cmd):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))}: rc {r.returncode}: {r.stderr[-800:]}")
    return r


def jsonl(path):
    return [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]


def key(rows):
    return [(r.get("id"), r["text"], [(e["start"], e["end"], e["label"]) for e in r.get("entities", [])],
             r.get("intent")) for r in rows]


def u16(text, s, e):
    b = text.encode("utf-16-le")
    return b[2 * s:2 * e].decode("utf-16-le")


def check_ls_tasks(tasks, where, field):
    for t in tasks:
        text = t["data"]["text"]
        for block in t.get(field, []):
            for r in block["result"]:
                v = r["value"]
                if r["type"] == "labels":
                    check(u16(text, v["start"], v["end"]) == v["text"],
                          f"{where}: task {t['id']}: value.text is the UTF-16 slice [{v['start']}, {v['end']})")
                    check(r["from_name"] == "label" and r["to_name"] == "text" and len(v["labels"]) == 1,
                          f"{where}: task {t['id']}: labels result shape")
                else:
                    check(r["type"] == "choices" and len(v["choices"]) == 1, f"{where}: choices result shape")
                if "score" in r:
                    check(0 <= r["score"] <= 1, f"{where}: score in [0, 1]")


def main():
    try:
        from label_studio_sdk.converter import Converter
    except ImportError as e:
        print(f"SKIP: label-studio-sdk unavailable ({e})")
        return 77
    tmp = tempfile.mkdtemp(prefix="triage-annot-")
    data = os.path.join(BIN, "triage-data")
    run(data, "generate", f"{tmp}/gen", "--seed", "11", "--train", "60", "--dev", "5", "--test", "5")
    corpora = [("generated", f"{tmp}/gen/train.jsonl")]
    if os.path.exists(f"{SHARED}/datasets/bitext_cs/test.jsonl"):
        corpora.append(("bitext_cs", f"{SHARED}/datasets/bitext_cs/test.jsonl"))
    else:
        print("note: ../shared absent; generated corpus only")
    for name, src in corpora:
        run(data, "convert", src, f"{tmp}/{name}-base.jsonl", "--to", "jsonl")
        base = jsonl(f"{tmp}/{name}-base.jsonl")
        # flattened the way every writer flattens transcripts: via a labelstudio round trip
        for fmt, ext in (("labelstudio", "json"), ("doccano", "jsonl"), ("prodigy", "jsonl")):
            out = f"{tmp}/{name}.{fmt}.{ext}"
            run(data, "convert", src, out, "--to", fmt)
            run(data, "validate", out)  # detected from the content
            run(data, "convert", out, f"{tmp}/{name}-{fmt}-back.jsonl", "--to", "jsonl")
            back = jsonl(f"{tmp}/{name}-{fmt}-back.jsonl")
            if fmt == "labelstudio":
                flat = back
            check(len(back) == len(base), f"{name} {fmt}: {len(back)} examples back of {len(base)}")
            check(key(back) == key(flat), f"{name} {fmt}: round trip equals the flattened corpus")
            # against the original: same ids, intents, entity labels and surface text
            same = all(b["id"] == o["id"] and b.get("intent") == o.get("intent") and
                       [(e["label"]) for e in b["entities"]] == [(e["label"]) for e in o.get("entities", [])]
                       for b, o in zip(back, base))
            check(same, f"{name} {fmt}: ids, intents and entity labels as in the original")
        # doccano and prodigy schemas, Python (code point) slicing
        for r in jsonl(f"{tmp}/{name}.doccano.jsonl"):
            check(isinstance(r["text"], str) and all(len(t) == 3 and isinstance(t[2], str) and 0 <= t[0] < t[1] <= len(r["text"])
                                                     for t in r["label"]), f"{name} doccano: schema of {r.get('id')}")
        for r in jsonl(f"{tmp}/{name}.prodigy.jsonl"):
            check(r["answer"] == "accept" and all(r["text"][s["start"]:s["end"]] == s["text"] for s in r["spans"]),
                  f"{name} prodigy: spans slice the text ({r['meta']['id']})")
        # Label Studio: UTF-16 slices, and its converter's CoNLL / JSON_MIN exports
        ls = f"{tmp}/{name}.labelstudio.json"
        tasks = json.load(open(ls, encoding="utf-8"))
        check_ls_tasks(tasks, f"{name} labelstudio", "annotations")
        labels = sorted({r["value"]["labels"][0] for t in tasks for a in t["annotations"] for r in a["result"]
                         if r["type"] == "labels"})
        intents = sorted({r["value"]["choices"][0] for t in tasks for a in t["annotations"] for r in a["result"]
                          if r["type"] == "choices"})
        config = ('<View><Labels name="label" toName="text">' + "".join(f'<Label value="{l}"/>' for l in labels) +
                  '</Labels><Text name="text" value="$text"/><Choices name="intent" toName="text">' +
                  "".join(f'<Choice value="{c}"/>' for c in intents) + "</Choices></View>")
        conv = Converter(config, project_dir=None, download_resources=False)
        conv.convert(ls, f"{tmp}/{name}-conll", "CONLL2003", is_dir=False)
        conv.convert(ls, f"{tmp}/{name}-min", "JSON_MIN", is_dir=False)
        run(data, "convert", f"{tmp}/{name}-conll/result.conll", f"{tmp}/{name}-conll.jsonl", "--to", "jsonl")
        conll = jsonl(f"{tmp}/{name}-conll.jsonl")
        check(len(conll) == len(tasks), f"{name}: Label Studio's CoNLL export has {len(conll)} sentences for {len(tasks)} tasks")
        squash = lambda s: "".join(s.split()).strip(".,!?;:")  # its tokenizer splits some punctuation off

        for c, t in zip(conll, flat):
            got = [(e["label"], squash(c["text"][e["start"]:e["end"]])) for e in c["entities"]]
            want = [(e["label"], squash(t["text"][e["start"]:e["end"]])) for e in t["entities"]]
            if not check(got == want, f"{name}: Label Studio's CoNLL export of {t['id']} has its entities"):
                print("   ", got, "\n   ", want)
                break
        mins = json.load(open(f"{tmp}/{name}-min/result.json", encoding="utf-8"))
        by_text = {}
        for m in mins:
            by_text.setdefault(m["text"], []).append(sorted((l["start"], l["end"], l["labels"][0]) for l in m.get("label", [])))
        for t in tasks:
            mine = sorted((r["value"]["start"], r["value"]["end"], r["value"]["labels"][0])
                          for a in t["annotations"] for r in a["result"] if r["type"] == "labels")
            check(mine in by_text.get(t["data"]["text"], []), f"{name}: JSON_MIN export keeps task {t['id']}'s offsets")
        print(f"{name}: {len(base)} examples through labelstudio, doccano, prodigy and Label Studio's converter")

    # pre-annotation tasks from a model
    model = os.environ.get("TRIAGE_TAG_MODEL", os.path.join(ROOT, "runs", "quickstart", "model", "best"))
    if os.path.exists(os.path.join(model, "model.safetensors")):
        out = f"{tmp}/pre.json"
        run(os.path.join(BIN, "triage-model"), "tag", "--model", model, "--data", f"{tmp}/gen/test.jsonl", "--output", out)
        pre = json.load(open(out, encoding="utf-8"))
        check(len(pre) == 5 and all(len(p["predictions"]) == 1 and len(p["predictions"][0]["model_version"]) == 12
                                    for p in pre), "triage-model tag: one prediction per task with the model version")
        check_ls_tasks(pre, "triage-model tag", "predictions")
        r = run(data, "validate", out, "--ls-predictions")
        check("5 examples, 0 errors" in r.stdout, f"triage-data reads the predictions back: {r.stdout[-200:]}")
    else:
        print(f"note: no checkpoint at {model}; triage-model tag part skipped (scripts/quickstart.sh trains one)")
    if not FAILS:
        shutil.rmtree(tmp, ignore_errors=True)
        print("annotation_tools_oracle: all checks passed")
        return 0
    print(f"annotation_tools_oracle: {len(FAILS)} checks failed (kept {tmp})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
