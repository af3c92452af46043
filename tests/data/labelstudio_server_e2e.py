#!/usr/bin/env python3
"""triage and a real Label Studio server (issue 19): `label-studio` from PyPI (its own venv,
.venv-labelstudio, since it pins setuptools>=83 and torch <82), started here on loopback with a
fresh data directory and stopped after.

1. triage-data labelconfig writes the project's labeling config from the corpus; the server
   accepts it (POST /api/projects) and reports the corpus's labels.
2. A tiny model trained here pre-annotates the test split (triage-model tag --data): its tasks
   import through the API (POST /api/projects/ID/import) with one prediction each, the model
   version and the scores kept.
3. An annotator submits annotations through the API: the corpus's own labels on most tasks, a
   cancelled annotation on one, none on another.
4. The project's JSON export (GET /api/projects/ID/export) validates against the labeling
   config (triage-data validate --schema, exit 0) and reads back with triage: annotated tasks
   equal the corpus (ids, texts, spans, intents), the cancelled and unannotated ones are
   skipped and counted, and with --ls-predictions the unannotated ones take the model's
   prediction, equal to triage-model tag's own JSONL output (from a snapshot export with the
   predictions expanded: the plain export lists them by id, which --ls-predictions warns about).
5. The same export with one label renamed (a label not in the project) fails validate --schema
   with exit 2, naming the task and the label.

Exit 0 pass, 1 fail, 77 skipped. Env: TRIAGE_BIN_DIR, TRIAGE_LABEL_STUDIO (the label-studio
executable; default .venv-labelstudio/bin/label-studio).
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("TRIAGE_BIN_DIR", os.path.join(ROOT, "build", "bin"))
LS = os.environ.get("TRIAGE_LABEL_STUDIO", os.path.join(ROOT, ".venv-labelstudio", "bin", "label-studio"))
sys.path.insert(0, os.path.join(ROOT, "tests", "train"))
sys.path.insert(0, os.path.join(ROOT, "tests", "serve_http"))
from serve_fixture import Checks  # noqa: E402
TOKEN = "7f3e5c1a9b2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f"


def run(*cmd, ok=(0,)):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if r.returncode not in ok:
        raise RuntimeError(f"{' '.join(map(str, cmd))}: rc {r.returncode}: {r.stderr[-1500:]}")
    return r


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    def __init__(self, url):
        self.url = url

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Authorization": f"Token {TOKEN}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{method} {path}: HTTP {e.code}: {e.read()[:800]!r}")


def jsonl(path):
    return [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]


def key(rows):
    return {r["id"]: (r["text"], [(e["start"], e["end"], e["label"]) for e in r.get("entities", [])], r.get("intent"))
            for r in rows}


def main():
    if not os.path.exists(LS):
        print(f"SKIP: {LS} absent (scripts/setup.sh installs Label Studio in .venv-labelstudio)")
        return 77
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as e:
        print(f"SKIP: torch / transformers unavailable ({e})")
        return 77
    from tiny_families import save_tiny_base
    c = Checks()
    tmp = tempfile.mkdtemp(prefix="triage-ls-")
    port = free_port()
    env = dict(os.environ, LABEL_STUDIO_BASE_DATA_DIR=f"{tmp}/ls-data", LABEL_STUDIO_USERNAME="annotator@example.com",
               LABEL_STUDIO_PASSWORD="triage-e2e-password", LABEL_STUDIO_USER_TOKEN=TOKEN,
               LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true", LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK="true",
               SENTRY_DSN="", FRONTEND_SENTRY_DSN="", COLLECT_ANALYTICS="false")
    env.pop("PYTHONPATH", None)
    t0 = time.time()
    server = subprocess.Popen([LS, "start", "--no-browser", "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=open(f"{tmp}/server.log", "w"), stderr=subprocess.STDOUT, cwd=tmp)
    try:
        # meanwhile: corpus, labeling config, a tiny model and its pre-annotations
        corpus = f"{tmp}/corpus"
        run(f"{BIN}/triage-data", "generate", corpus, "--seed", "11", "--train", "300", "--dev", "16", "--test", "12")
        config = run(f"{BIN}/triage-data", "labelconfig", f"{corpus}/train.jsonl").stdout
        open(f"{tmp}/config.xml", "w").write(config)
        base = save_tiny_base("bert", f"{tmp}/base")
        t1 = time.time()
        run(f"{BIN}/triage-train", "--set", f"model.base={base}", "--set", "model.max_seq_len=64",
            "--set", f"data.train={corpus}/train.jsonl", "--set", f"data.dev={corpus}/dev.jsonl",
            "--set", "run.threads=1", "--set", "run.batch_size=16", "--set", "run.epochs=8", "--set", "optim.lr=3e-3",
            "--set", "track.tensorboard=false", "--set", f"run.output_dir={tmp}/model")
        model = f"{tmp}/model/best"
        print(f"tiny model trained in {time.time() - t1:.1f} s")
        run(f"{BIN}/triage-model", "tag", "--model", model, "--data", f"{corpus}/test.jsonl", "--output", f"{tmp}/pre.json")
        run(f"{BIN}/triage-model", "tag", "--model", model, "--data", f"{corpus}/test.jsonl", "--output",
            f"{tmp}/pred.jsonl", "--output-format", "jsonl")
        run(f"{BIN}/triage-data", "convert", f"{corpus}/test.jsonl", f"{tmp}/gold.json", "--to", "labelstudio")
        pre = json.load(open(f"{tmp}/pre.json"))
        gold = {t["data"]["triage_id"]: t for t in json.load(open(f"{tmp}/gold.json"))}

        api = Api(f"http://127.0.0.1:{port}")
        while True:
            try:
                urllib.request.urlopen(f"{api.url}/health", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.time() - t0 > 150:
                    print("FAIL: label-studio did not start:", open(f"{tmp}/server.log").read()[-3000:])
                    return 1
                time.sleep(0.5)
        print(f"label-studio up {time.time() - t0:.1f} s after start (its setup ran in parallel)")

        # 1. the project, from triage's labeling config
        project = api.call("POST", "/api/projects", {"title": "triage e2e", "label_config": config})
        pid = project["id"]
        labels = project.get("parsed_label_config", {})
        schema = json.load(open(f"{model}/triage.json"))["label_schema"]
        c.check(sorted(labels.get("label", {}).get("labels", [])) == sorted(schema["entity_types"]) and
              sorted(labels.get("intent", {}).get("labels", [])) == sorted(schema["intents"]),
              "Label Studio parses triage-data labelconfig: the model's entity types and intents")

        # 2. import the pre-annotated tasks
        api.call("POST", f"/api/projects/{pid}/import", pre)
        tasks = api.call("GET", f"/api/tasks?project={pid}&page_size=1000&fields=all")
        tasks = tasks["tasks"] if isinstance(tasks, dict) else tasks
        c.check(len(tasks) == len(pre), f"import: {len(tasks)} tasks for the {len(pre)} written")
        version = pre[0]["predictions"][0]["model_version"]
        n_pred = 0
        for t in tasks:
            preds = api.call("GET", f"/api/predictions?task={t['id']}")
            n_pred += len(preds)
            if preds and not (preds[0].get("model_version") == version and preds[0].get("score") is not None):
                c.check(False, f"task {t['id']}: prediction model_version/score kept ({preds[0]})")
        c.check(n_pred == len(pre), f"import: {n_pred} predictions, one per task, model version {version}")

        # 3. annotate: gold labels on all but two; one cancelled, one left alone
        by_id = {t["data"]["triage_id"]: t["id"] for t in tasks}
        ids = sorted(by_id)
        cancelled, untouched = ids[0], ids[1]
        for tid in ids:
            if tid == untouched:
                continue
            body = {"result": gold[tid]["annotations"][0]["result"], "was_cancelled": tid == cancelled}
            api.call("POST", f"/api/tasks/{by_id[tid]}/annotations?project={pid}", body)

        # 4. export and read back
        export = api.call("GET", f"/api/projects/{pid}/export?exportType=JSON&download_all_tasks=true")
        json.dump(export, open(f"{tmp}/export.json", "w"))
        c.check(len(export) == len(pre), f"export: {len(export)} tasks")
        r = run(f"{BIN}/triage-data", "validate", f"{tmp}/export.json", "--schema", f"{tmp}/config.xml")
        c.check("0 errors" in r.stdout, "triage-data validate --schema config.xml: the export passes (exit 0)")
        run(f"{BIN}/triage-data", "convert", f"{tmp}/export.json", f"{tmp}/back.jsonl", "--to", "jsonl")
        back = key(jsonl(f"{tmp}/back.jsonl"))
        # the corpus as Label Studio holds it (transcripts flattened to one text)
        run(f"{BIN}/triage-data", "convert", f"{tmp}/gold.json", f"{tmp}/gold-flat.jsonl", "--to", "jsonl")
        want = {k: v for k, v in key(jsonl(f"{tmp}/gold-flat.jsonl")).items() if k not in (cancelled, untouched)}
        c.check(back == want, f"export read back: {len(back)} annotated tasks equal the corpus (texts, spans, intents)"
              + ("" if back == want else f"; differ: {sorted(set(back) ^ set(want))[:5]} "
                 f"{[k for k in want if back.get(k) != want[k]][:3]}"))
        c.check("2 skipped, 1 annotations not used" in r.stdout,
              "the cancelled annotation is counted as not used, its task and the unannotated one skipped")
        # the plain export lists predictions by id: --ls-predictions says so (a warning), no crash
        r = run(f"{BIN}/triage-data", "validate", f"{tmp}/export.json", "--ls-predictions")
        c.check("holds ids, not predictions" in r.stdout, "plain export with --ls-predictions: predictions-are-ids warning")
        # a snapshot export with the predictions expanded carries them whole
        snap = api.call("POST", f"/api/projects/{pid}/exports",
                        {"serialization_options": {"predictions": {"only_id": False}}})
        for _ in range(120):
            if api.call("GET", f"/api/projects/{pid}/exports/{snap['id']}").get("status") == "completed":
                break
            time.sleep(0.5)
        req = urllib.request.Request(f"{api.url}/api/projects/{pid}/exports/{snap['id']}/download?exportType=JSON",
                                     headers={"Authorization": f"Token {TOKEN}"})
        open(f"{tmp}/snapshot.json", "wb").write(urllib.request.urlopen(req, timeout=60).read())
        run(f"{BIN}/triage-data", "convert", f"{tmp}/snapshot.json", f"{tmp}/with-pred.jsonl", "--to", "jsonl",
            "--ls-predictions")
        with_pred = key(jsonl(f"{tmp}/with-pred.jsonl"))
        # triage-model tag's JSONL keeps the turns; flattened the way Label Studio holds the text
        run(f"{BIN}/triage-data", "convert", f"{tmp}/pred.jsonl", f"{tmp}/pred-ls.json", "--to", "labelstudio")
        run(f"{BIN}/triage-data", "convert", f"{tmp}/pred-ls.json", f"{tmp}/pred-flat.jsonl", "--to", "jsonl")
        predicted = key(jsonl(f"{tmp}/pred-flat.jsonl"))
        n_spans = sum(len(v[1]) for v in predicted.values())
        c.check(n_spans > 0, f"the model's predictions hold spans ({n_spans} on {len(predicted)} tasks)")
        c.check(with_pred.get(untouched) == predicted.get(untouched) and with_pred.get(cancelled) == predicted.get(cancelled),
              "--ls-predictions: the unannotated and cancelled tasks take the model's prediction, as triage-model tag wrote it")

        # 5. a label the project does not have
        bad = json.load(open(f"{tmp}/export.json"))
        hit = next(t for t in bad if t["annotations"] and not t["annotations"][0].get("was_cancelled")
                   and any(x["type"] == "labels" for x in t["annotations"][0]["result"]))
        next(x for x in hit["annotations"][0]["result"] if x["type"] == "labels")["value"]["labels"] = ["ticket_ref"]
        json.dump(bad, open(f"{tmp}/bad.json", "w"))
        r = run(f"{BIN}/triage-data", "validate", f"{tmp}/bad.json", "--schema", f"{tmp}/config.xml", ok=(2,))
        c.check(f"example '{hit['data']['triage_id']}'" in r.stderr and "'ticket_ref' is not in the schema" in r.stderr,
              "a label not in the project: validate --schema exits 2 naming the task and the label")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    print(f"{time.time() - t0:.1f} s in all")
    if c.failures:
        print(f"server log: {tmp}/server.log")
    return c.done("labelstudio_server_e2e", tmp)


if __name__ == "__main__":
    sys.exit(main())
