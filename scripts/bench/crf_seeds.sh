#!/usr/bin/env bash
# CRF head against the softmax head (issue 18): one recipe config trained with model.head
# softmax and model.head crf for each seed, each test split scored with every decode mode the
# checkpoint supports (seqeval default and strict entity F1, sentence accuracy), one table row
# per run and mode, then the mean over seeds. A finished run (its summary.json) is reused, so
# an interrupted study resumes where it stopped.
#   scripts/bench/crf_seeds.sh CONFIG TEST_DATA OUT_DIR [seed ...]     (seeds default: 42 43 44)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
usage="usage: crf_seeds.sh CONFIG TEST_DATA OUT_DIR [seed ...]"
config=${1:?$usage}
data=${2:?$usage}
out=${3:?$usage}
shift 3
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(42 43 44)
mkdir -p "$out"
for seed in "${seeds[@]}"; do
  for head in crf softmax; do
    run="$out/$head-$seed"
    if [ ! -f "$run/summary.json" ]; then
      echo "== train $head seed $seed -> $run" >&2
      "$root/build/bin/triage-train" --config "$config" --set model.head="$head" --set run.seed="$seed" \
        --set run.output_dir="$run" --set data.test= > "$run.log" 2>&1
    fi
    modes="greedy constrained"
    [ "$head" = crf ] && modes="crf greedy"
    for decode in $modes; do
      for mode in default strict; do
        [ -f "$run/eval-$decode-$mode.json" ] ||
          "$root/build/bin/triage-eval" --model "$run/best" --data "$data" --decode "$decode" --mode "$mode" \
            --json "$run/eval-$decode-$mode.json" > /dev/null 2>&1
      done
    done
  done
done
"$root/.venv/bin/python" - "$out" "${seeds[@]}" <<'PY'
import json, statistics, sys
out, seeds = sys.argv[1], sys.argv[2:]
rows = {}
print("| head | decode | seed | entity F1 default | entity F1 strict | sentence accuracy | intent accuracy |")
print("|---|---|---:|---:|---:|---:|---:|")
for head, modes in (("softmax", ("greedy", "constrained")), ("crf", ("crf", "greedy"))):
    for decode in modes:
        for seed in seeds:
            d, s = (json.load(open(f"{out}/{head}-{seed}/eval-{decode}-{m}.json")) for m in ("default", "strict"))
            v = (100 * d["entity"]["f1"], 100 * s["entity"]["f1"], 100 * d["sentence_accuracy"],
                 100 * d["intent_accuracy"] if d.get("intent_accuracy") is not None else float("nan"))
            rows.setdefault((head, decode), []).append(v)
            print(f"| {head} | {decode} | {seed} | " + " | ".join(f"{x:.2f}" for x in v) + " |")
for (head, decode), vs in rows.items():
    means = [statistics.mean(c) for c in zip(*vs)]
    sd = statistics.stdev([v[0] for v in vs]) if len(vs) > 1 else 0.0
    print(f"| {head} | {decode} | mean of {len(vs)} | " + " | ".join(f"{x:.2f}" for x in means) +
          f" |  (default F1 sd {sd:.2f})")
PY
