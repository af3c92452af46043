#!/usr/bin/env python3
"""Oracle test for triage-eval: random prediction sets scored by triage-eval and by
seqeval (entity reports, default and strict mode) and scikit-learn (token and intent
reports); every number must agree to 4 decimals and the printed reports must equal the
libraries' strings.

  eval_oracle.py [--bin DIR] [--sets N] [--seed S] [--keep DIR]

DIR holds triage-eval (default: $TRIAGE_BIN_DIR, else build/bin). Exit 0 when everything
agrees, 1 on the first mismatches (printed), 77 when seqeval or scikit-learn is missing.
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import warnings

try:
    from seqeval.metrics import accuracy_score, classification_report, f1_score, precision_score, recall_score
    from seqeval.metrics.sequence_labeling import get_entities
    from seqeval.scheme import IOB2, IOBES, Entities
    from sklearn.metrics import classification_report as sk_report
except ImportError as e:  # pragma: no cover
    print(f"skip: {sys.executable} lacks seqeval or scikit-learn ({e}); run scripts/setup.sh")
    sys.exit(77)

warnings.filterwarnings("ignore")

TYPES = ["city", "date", "order_id", "product", "PER", "città", "pick-up"]
INTENTS = ["cancel_order", "track", "refund", "greet", "other"]


# ---- random sets ------------------------------------------------------------------------

def iob2_sentence(rng, n, types, p_entity=0.3):
    tags, i = [], 0
    while i < n:
        if rng.random() < p_entity:
            t = rng.choice(types)
            length = min(n - i, rng.randint(1, 3))
            tags += ["B-" + t] + ["I-" + t] * (length - 1)
            i += length
        else:
            tags.append("O")
            i += 1
    return tags


def iobes_sentence(rng, n, types, p_entity=0.3):
    tags, i = [], 0
    while i < n:
        if rng.random() < p_entity:
            t = rng.choice(types)
            length = min(n - i, rng.randint(1, 3))
            if length == 1:
                tags.append("S-" + t)
            else:
                tags += ["B-" + t] + ["I-" + t] * (length - 2) + ["E-" + t]
            i += length
        else:
            tags.append("O")
            i += 1
    return tags


def corrupt(rng, tags, types, rate, prefixes="BIO"):
    out = []
    for tag in tags:
        r = rng.random()
        if r < rate:
            p = rng.choice(prefixes)
            out.append("O" if p == "O" else p + "-" + rng.choice(types))
        elif r < rate * 1.5 and tag.startswith("B-"):
            out.append("I-" + tag[2:])  # invalid I- start
        elif r < rate * 2 and tag != "O":
            out.append("O")
        else:
            out.append(tag)
    return out


WEIRD = ["B", "I", "O", "U-city", "L-city", "X-city", ".", "I-", "B--date", "E", "S"]


def make_set(rng, index):
    kind = ["iob2", "iob2", "noisy", "all_o", "gold_no_entities", "iobes", "weird", "single_token",
            "pred_only_types", "gold_only_types", "perfect"][index % 11]
    n_sent = rng.randint(1, 25)
    types = rng.sample(TYPES, rng.randint(1, len(TYPES)))
    with_intents = rng.random() < 0.5
    gold, pred = [], []
    for _ in range(n_sent):
        n = 1 if kind == "single_token" else rng.randint(1, 14)
        if with_intents and rng.random() < 0.08:
            n = 0  # empty sentence (needs an intent line to exist in the file)
        if kind == "iobes":
            g = iobes_sentence(rng, n, types)
            p = corrupt(rng, g, types, 0.15, prefixes="BIESO")
        elif kind == "all_o":
            g = ["O"] * n
            p = ["O"] * n
        elif kind == "gold_no_entities":
            g = ["O"] * n
            p = corrupt(rng, g, types, 0.2)
        elif kind == "noisy":
            g = [rng.choice(["O", "B-" + rng.choice(types), "I-" + rng.choice(types)]) for _ in range(n)]
            p = [rng.choice(["O", "B-" + rng.choice(types), "I-" + rng.choice(types)]) for _ in range(n)]
        elif kind == "weird":
            g = iob2_sentence(rng, n, types)
            p = [rng.choice(WEIRD) if rng.random() < 0.3 else t for t in corrupt(rng, g, types, 0.1)]
            g = [rng.choice(WEIRD) if rng.random() < 0.1 else t for t in g]
        elif kind == "pred_only_types":
            g = iob2_sentence(rng, n, types[:1])
            p = corrupt(rng, g, ["brand_new", "zzz"] + types[:1], 0.25)
        elif kind == "gold_only_types":
            g = iob2_sentence(rng, n, types)
            p = corrupt(rng, [t if t == "O" or t[2:] == types[0] else "O" for t in g], types[:1], 0.1)
        elif kind == "perfect":
            g = iob2_sentence(rng, n, types)
            p = list(g)
        else:
            g = iob2_sentence(rng, n, types)
            p = corrupt(rng, g, types, 0.15)
        gold.append(g)
        pred.append(p)
    if sum(len(s) for s in gold) == 0:  # triage-eval rejects a file with no tokens
        gold[0], pred[0] = ["O"], ["B-" + types[0]]
    intents = None
    if with_intents:
        pool = rng.sample(INTENTS, rng.randint(1, len(INTENTS)))
        gi = [rng.choice(pool) for _ in gold]
        pi = [g if rng.random() < 0.7 else rng.choice(pool + ["unseen_intent"]) for g in gi]
        intents = (gi, pi)
    return kind, gold, pred, intents


def write_conll(path, gold, pred, intents, extra_column):
    with open(path, "w", encoding="utf-8") as f:
        f.write("-DOCSTART- -X- O O\n\n" if extra_column else "-DOCSTART- O O\n\n")
        for i, (g, p) in enumerate(zip(gold, pred)):
            if intents:
                f.write(f"# intent: {intents[0][i]} {intents[1][i]}\n")
            for j, (gt, pt) in enumerate(zip(g, p)):
                f.write(f"w{i}_{j} " + ("NN " if extra_column else "") + f"{gt} {pt}\n")
            f.write("\n")


# ---- comparison -------------------------------------------------------------------------

class Checker:
    def __init__(self):
        self.compared = 0
        self.texts = 0
        self.failures = []
        self.runs = {}  # mode name -> sets compared in it

    def count(self, name):
        self.runs[name] = self.runs.get(name, 0) + 1

    def num(self, where, ours, theirs):
        self.compared += 1
        theirs = float(theirs)
        if ours is None:
            ok = math.isnan(theirs)
        elif math.isnan(theirs):
            ok = False
        else:
            ok = round(float(ours), 4) == round(theirs, 4) and abs(float(ours) - theirs) < 5e-5
        if not ok:
            self.failures.append(f"{where}: triage-eval {ours!r} != oracle {theirs!r}")

    def report(self, where, ours, theirs):
        if list(ours.keys()) != list(theirs.keys()):
            self.failures.append(f"{where}: rows {list(ours.keys())} != oracle {list(theirs.keys())}")
            return
        for row, vals in theirs.items():
            if isinstance(vals, dict):
                for k in ("precision", "recall", "f1-score", "support"):
                    self.num(f"{where}[{row!r}][{k}]", ours[row][k], vals[k])
            else:
                self.num(f"{where}[{row!r}]", ours[row], vals)

    def text(self, where, ours, theirs):
        self.texts += 1
        if ours != theirs:
            self.failures.append(f"{where}: printed report differs\n--- triage-eval\n{ours}--- oracle\n{theirs}")


def run_eval(binary, path, out_json, *args):
    cmd = [binary, "--predictions", path, "--json", out_json, *args]
    return subprocess.run(cmd, capture_output=True, text=True)


def section(stdout, title_prefix):
    """The body under '== title_prefix... ==' up to the next section or a summary line."""
    lines = stdout.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("== " + title_prefix):
            body = []
            for l in lines[i + 1:]:
                if l.startswith("== ") or l.startswith("tag accuracy") or l.startswith("intent accuracy"):
                    break
                body.append(l)
            text = "\n".join(body)
            return text.rstrip("\n") + "\n"
    return None


def confusion_oracle(gold_entities, pred_entities):
    types = sorted({e[0] for e in gold_entities} | {e[0] for e in pred_entities})
    idx = {t: i for i, t in enumerate(types)}
    none = len(types)
    m = [[0] * (none + 1) for _ in range(none + 1)]
    g = {e[1:]: e[0] for e in gold_entities}
    p = {e[1:]: e[0] for e in pred_entities}
    for span, t in g.items():
        m[idx[t]][idx[p[span]] if span in p else none] += 1
    for span, t in p.items():
        if span not in g:
            m[none][idx[t]] += 1
    return types, m


def strict_entities(seqs, scheme):
    ents = Entities(seqs, scheme)
    return [(e.tag, e.sent_id, e.start, e.end - 1) for sent in ents.entities for e in sent]


def check_set(binary, tmp, index, rng, chk, digits):
    kind, gold, pred, intents = make_set(rng, index)
    path = os.path.join(tmp, f"set{index:03d}.conll")
    out = os.path.join(tmp, f"set{index:03d}.json")
    write_conll(path, gold, pred, intents, extra_column=index % 2 == 0)
    where = f"set {index} ({kind}, {path})"

    flat_g = [t for s in gold for t in s]
    flat_p = [t for s in pred for t in s]
    def seqeval_accepts(scheme):
        try:
            classification_report(gold, pred, output_dict=True, mode="strict", scheme=scheme)
            return True
        except (ValueError, KeyError, IndexError):
            return False

    modes = [("default", None, [])]
    strict_expected_error = not seqeval_accepts(IOB2)
    if not strict_expected_error:
        modes.append(("strict", IOB2, ["--mode", "strict"]))
    elif seqeval_accepts(IOBES):
        modes.append(("strict-IOBES", IOBES, ["--mode", "strict", "--scheme", "IOBES"]))

    for name, scheme, args in modes:
        res = run_eval(binary, path, out, "--digits", str(digits), *args)
        if res.returncode != 0:
            chk.failures.append(f"{where} [{name}]: exit {res.returncode}: {res.stderr.strip()}")
            return
        with open(out, encoding="utf-8") as f:
            j = json.load(f)
        chk.count(name + (" +intents" if intents else ""))
        w = f"{where} [{name}]"
        # token level: scikit-learn over flattened tags
        chk.report(f"{w} token_report", j["token_report"],
                   sk_report(flat_g, flat_p, output_dict=True, zero_division=0))
        chk.text(f"{w} token text", section(res.stdout, "token-level"),
                 sk_report(flat_g, flat_p, digits=digits, zero_division=0))
        # entity level: seqeval
        if scheme is None:
            their = classification_report(gold, pred, output_dict=True)
            their_f1 = f1_score(gold, pred)
            their_p, their_r = precision_score(gold, pred), recall_score(gold, pred)
            ge, pe = get_entities(gold), get_entities(pred)
            ge = [(t, s, e) for t, s, e in ge]
            pe = [(t, s, e) for t, s, e in pe]
        else:
            their = classification_report(gold, pred, output_dict=True, mode="strict", scheme=scheme)
            their_f1 = f1_score(gold, pred, mode="strict", scheme=scheme)
            their_p = precision_score(gold, pred, mode="strict", scheme=scheme)
            their_r = recall_score(gold, pred, mode="strict", scheme=scheme)
            ge, pe = strict_entities(gold, scheme), strict_entities(pred, scheme)
        chk.report(f"{w} entity_report", j["entity_report"], their)
        chk.num(f"{w} entity.f1", j["entity"]["f1"], their_f1)
        chk.num(f"{w} entity.precision", j["entity"]["precision"], their_p)
        chk.num(f"{w} entity.recall", j["entity"]["recall"], their_r)
        chk.num(f"{w} entity.accuracy", j["entity"]["accuracy"], accuracy_score(gold, pred))
        if len(their) > 3:  # seqeval's string report fails with no entity types
            kw = {} if scheme is None else {"mode": "strict", "scheme": scheme}
            chk.text(f"{w} entity text", section(res.stdout, "entity-level"),
                     classification_report(gold, pred, digits=digits, **kw))
        types, m = confusion_oracle(ge, pe)
        if j["entity_confusion"]["types"] != types or j["entity_confusion"]["matrix"] != m:
            chk.failures.append(f"{w}: confusion {j['entity_confusion']} != oracle {types} {m}")
        chk.compared += 1
        # intents and sentence accuracy
        if intents:
            chk.report(f"{w} intent_report", j["intent_report"],
                       sk_report(intents[0], intents[1], output_dict=True, zero_division=0))
            chk.num(f"{w} intent_accuracy", j["intent_accuracy"],
                    sum(a == b for a, b in zip(*intents)) / len(intents[0]))
            chk.text(f"{w} intent text", section(res.stdout, "intent report"),
                     sk_report(intents[0], intents[1], digits=digits, zero_division=0))
            frames = [g == p and a == b for g, p, a, b in zip(gold, pred, *intents)]
        else:
            if j["intent_report"] is not None:
                chk.failures.append(f"{w}: intent_report present without intents")
            frames = [g == p for g, p in zip(gold, pred)]
        chk.num(f"{w} sentence_accuracy", j["sentence_accuracy"], sum(frames) / len(frames))

    if strict_expected_error:
        res = run_eval(binary, path, out, "--mode", "strict")
        chk.count("strict rejected (seqeval raises too)")
        chk.compared += 1
        if res.returncode != 2 or f"{path}:" not in res.stderr:
            chk.failures.append(f"{where} [strict, invalid tags]: seqeval raises, triage-eval "
                                f"exit {res.returncode}, stderr {res.stderr.strip()!r} (want exit 2 naming file:line)")


def check_bad_inputs(binary, tmp, chk):
    cases = {
        "two_columns": ("tok O\n", 1),
        "ragged": ("a X O O\nb O O\n", 2),
        "intent_inside": ("a O O\n# intent: x y\n", 2),
        "intent_arity": ("# intent: x\na O O\n", 1),
        "missing_intent": ("# intent: x y\na O O\n\nb O O\n", 4),
        "strict_bad_tag": ("a O O\nb O E-city\n", 2),
    }
    for name, (text, line) in cases.items():
        path = os.path.join(tmp, f"bad_{name}.conll")
        with open(path, "w") as f:
            f.write(text)
        args = ["--mode", "strict"] if name == "strict_bad_tag" else []
        res = run_eval(binary, path, path + ".json", *args)
        chk.compared += 1
        if res.returncode != 2 or f"{path}:{line}:" not in res.stderr or os.path.exists(path + ".json"):
            chk.failures.append(f"bad input {name}: exit {res.returncode}, stderr {res.stderr.strip()!r} "
                                f"(want exit 2 naming {path}:{line}, no JSON written)")
    for args in (["--predictions", "/nonexistent/file.conll"], [], ["--digits", "x", "--predictions", "f"],
                 ["--model", "m", "--data", "d"]):
        res = subprocess.run([binary, *args], capture_output=True, text=True)
        chk.compared += 1
        if res.returncode != 2:
            chk.failures.append(f"usage {args}: exit {res.returncode}, want 2")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_bin = os.environ.get("TRIAGE_BIN_DIR") or os.path.join(os.path.dirname(__file__), "..", "..", "build", "bin")
    ap.add_argument("--bin", default=default_bin)
    ap.add_argument("--sets", type=int, default=150)
    ap.add_argument("--seed", type=int, default=20240604)
    ap.add_argument("--keep", help="write the sets here and keep them")
    a = ap.parse_args()
    binary = os.path.join(a.bin, "triage-eval")
    if not os.access(binary, os.X_OK):
        print(f"error: {binary} not found; build the triage-eval target", file=sys.stderr)
        return 1
    rng = random.Random(a.seed)
    chk = Checker()
    with tempfile.TemporaryDirectory() as tmpd:
        tmp = a.keep or tmpd
        os.makedirs(tmp, exist_ok=True)
        for i in range(a.sets):
            check_set(binary, tmp, i, rng, chk, digits=2 if i % 10 == 9 else 4)
        check_bad_inputs(binary, tmp, chk)
    if chk.failures:
        print(f"FAIL: {len(chk.failures)} mismatch(es) over {a.sets} sets; first ones:")
        for f in chk.failures[:10]:
            print("  " + f)
        return 1
    from importlib.metadata import version
    print(f"ok: {a.sets} sets, {chk.compared} numbers/checks and {chk.texts} printed reports equal "
          f"seqeval {version('seqeval')} and scikit-learn {version('scikit-learn')}")
    for name, n in sorted(chk.runs.items()):
        print(f"  {name}: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
