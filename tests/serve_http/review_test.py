#!/usr/bin/env python3
"""triage-serve's review queue (review.*, issue 19) on loopback, with a tiny random checkpoint:

- review.sample_rate 1: every message of /v1/tag and /v1/route is appended to review.file as
  one Label Studio task (JSON line) with the model's predictions (model_version = /v1/info's
  version, the spans and intent of the answer, scores), data.review_reason "sample";
  triage-data validate reads the file back (Label Studio, predictions) without an error;
  triage_review_written_total counts them.
- review.redact: entities of log.sensitive_labels are written as [LABEL], the span moved onto it;
  the answer itself is not redacted.
- thresholds: review.intent_threshold 1 with sample_rate 0 writes every message whose intent
  confidence is below 1 (reason low_intent_confidence); thresholds 0 and no sampling write none.
- rotation: review.max_bytes 1024 keeps review.keep_files rotated files and loses no task.
- a full disk (review.file /dev/full): every answer is still 200 and each task counts
  triage_review_dropped_total{reason="write_error"}.
Exit 0 pass, 1 fail, 77 skipped.
"""
import glob
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_fixture as fx  # noqa: E402


SENSITIVE = ["order_id", "product", "date", "amount", "email", "phone", "person_name", "account_id", "error_code"]


def tasks_of(path):
    return [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]


def main():
    fx.require()
    c = fx.Checks()
    tmp = fx.tmpdir("triage-review-")
    model = fx.checkpoint(os.path.join(tmp, "model"), seed=3)
    texts = fx.TEXTS[:6]

    # 1. sample everything, redact the sensitive labels
    review = os.path.join(tmp, "review.jsonl")
    s = fx.Server(model, tmp, sets=[f"review.file={review}", "review.sample_rate=1", "review.intent_threshold=0",
                                    "review.entity_threshold=0", "log.sensitive_labels=[" + ", ".join(SENSITIVE) + "]"])
    try:
        version = s.call("GET", "/v1/info").json()["model"]["version"]
        tag = s.post("/v1/tag", {"texts": texts}).json()
        route = s.post("/v1/route", {"text": texts[0]}).json()
        metrics = s.call("GET", "/metrics").body.decode()
    finally:
        s.stop()
    tasks = tasks_of(review)
    c.check(len(tasks) == len(texts) + 1, f"{len(tasks)} tasks written for {len(texts) + 1} messages")
    c.check(fx.metric_value(metrics, "triage_review_written_total") == len(texts) + 1,
            "triage_review_written_total counts every task")
    sensitive = 0
    by_id = {}
    for t in tasks:
        by_id.setdefault(t["data"]["triage_id"].rsplit("-", 1)[0], []).append(t)
    tag_tasks = by_id.get(tag["id"], [])
    c.check(len(tag_tasks) == len(texts), f"/v1/tag's {len(texts)} messages under its request id {tag['id']}")
    for i, (t, res) in enumerate(zip(sorted(tag_tasks, key=lambda t: int(t["data"]["triage_id"].rsplit("-", 1)[1])),
                                     tag["results"])):
        p = t["predictions"][0]
        c.check(p["model_version"] == version and t["data"]["review_reason"] == "sample", f"task {i}: version, reason")
        labels = [r for r in p["result"] if r["type"] == "labels"]
        c.check([r["value"]["labels"][0] for r in labels] == [e["label"] for e in res["entities"]],
                f"task {i}: the answer's entities, in order")
        text = t["data"]["text"]
        for r, e in zip(labels, res["entities"]):
            v = r["value"]
            sl = text.encode("utf-16-le")[2 * v["start"]:2 * v["end"]].decode("utf-16-le")
            if e["label"] in SENSITIVE:
                sensitive += 1
                c.check(sl == f"[{e['label'].upper()}]", f"task {i}: sensitive {e['label']} written as its placeholder: {sl!r}")
            else:
                c.check(sl == e["text"], f"task {i}: span {sl!r} is the entity's text {e['text']!r}")
        if res.get("intent"):
            ch = [r for r in p["result"] if r["type"] == "choices"]
            c.check(ch and ch[0]["value"]["choices"] == [res["intent"]["label"]], f"task {i}: the intent")
    c.check(route["id"] in by_id, "/v1/route's message is written too")
    c.check(sensitive > 0, f"the answers had sensitive entities to redact ({sensitive})")
    r = subprocess.run([os.path.join(fx.BIN, "triage-data"), "validate", review, "--ls-predictions"],
                       capture_output=True, text=True)
    c.check(r.returncode == 0 and f"{len(tasks)} examples, 0 errors" in r.stdout,
            f"triage-data reads the review file: {r.stdout[-300:]} {r.stderr[-300:]}")

    # 2. thresholds without sampling
    for threshold, expect_all in (("1", True), ("0", False)):
        f = os.path.join(tmp, f"review-{threshold}.jsonl")
        s = fx.Server(model, tmp, sets=[f"review.file={f}", "review.sample_rate=0", f"review.intent_threshold={threshold}",
                                        "review.entity_threshold=0"])
        try:
            s.post("/v1/tag", {"texts": texts})
        finally:
            s.stop()
        got = tasks_of(f)
        if expect_all:
            c.check(len(got) == len(texts) and all(t["data"]["review_reason"] == "low_intent_confidence" for t in got),
                    f"intent_threshold 1: every message, reason low_intent_confidence ({len(got)})")
        else:
            c.check(len(got) == 0, f"thresholds 0, no sampling: nothing written ({len(got)})")

    # 3. rotation
    rot = os.path.join(tmp, "rot.jsonl")
    s = fx.Server(model, tmp, sets=[f"review.file={rot}", "review.sample_rate=1", "review.max_bytes=1024",
                                    "review.keep_files=50"])
    try:
        for _ in range(4):
            s.post("/v1/tag", {"texts": texts})
    finally:
        s.stop()
    files = glob.glob(rot + "*")
    total = sum(len(tasks_of(f)) for f in files)
    c.check(len(files) > 2 and total == 4 * len(texts), f"rotation: {len(files)} files, {total} tasks of {4 * len(texts)}")
    c.check(all(os.path.getsize(f) <= 1024 or len(tasks_of(f)) == 1 for f in files), "rotated files stay near max_bytes")

    # 4. a full disk
    if os.path.exists("/dev/full"):
        s = fx.Server(model, tmp, sets=["review.file=/dev/full", "review.sample_rate=1"])
        try:
            codes = [s.post("/v1/tag", {"texts": texts[:2]}).status for _ in range(3)]
            import time
            time.sleep(0.5)
            metrics = s.call("GET", "/metrics").body.decode()
        finally:
            s.stop()
        c.check(codes == [200, 200, 200], f"answers while the review file cannot be written: {codes}")
        c.check(fx.metric_value(metrics, "triage_review_dropped_total", {"reason": "write_error"}) == 6,
                "triage_review_dropped_total{reason=write_error} counts each task")
    # 5. an unwritable review.file is bad input at start
    r = subprocess.run([os.path.join(fx.BIN, "triage-serve"), "--model", model, "--port", "0", "--set",
                        f"review.file={tmp}/no/such/dir/r.jsonl"], capture_output=True, text=True, timeout=60)
    c.check(r.returncode == 2 and "review.file" in r.stderr, f"unwritable review.file: exit 2 naming it ({r.returncode})")
    return c.done("review_test", tmp)


if __name__ == "__main__":
    sys.exit(main())
