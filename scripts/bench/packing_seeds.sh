#!/usr/bin/env bash
# Accuracy at equal recipe over seeds (issue 21): for each seed, triage padded and packed on
# the default length-bucketed batches and the transformers Trainer with length-grouped batches,
# same recipe as packing_compare.sh (fp32); per-seed rows and means of test slot F1 / intent /
# frame accuracy. A seed whose results already exist is not run again (runs/bench/packing-seeds-*).
#   scripts/bench/packing_seeds.sh snips|bitext_cs THREADS SEED [SEED...]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
name=${1:?usage: packing_seeds.sh snips|bitext_cs THREADS SEED...}
threads=${2:?threads}
shift 2
shared=${TRIAGE_SHARED_DIR:-$root/../shared}
base=runs/bench/packing-seeds-$name
for seed in "$@"; do
  out=$base/seed$seed
  mkdir -p "$out"
  for packing in false true; do
    tag=$([ "$packing" = true ] && echo packed || echo padded)
    [ -f "$out/$tag/summary.json" ] && continue
    build/bin/triage-train --config "configs/$name.yaml" --set data.train="$shared/datasets/$name/train" \
      --set data.dev= --set data.test="$shared/datasets/$name/test" --set run.threads="$threads" \
      --set run.seed="$seed" --set run.packing=$packing --set track.tensorboard=false \
      --set run.output_dir="$out/$tag" > "$out/$tag.log" 2>&1
  done
  [ -f "$out/hf.json" ] || .venv/bin/python scripts/bench/hf_train.py --data "$shared/datasets/$name" --epochs 3 \
    --lr 1e-4 --batch-size 32 --max-len 64 --seed "$seed" --threads "$threads" --group-by-length \
    --json "$out/hf.json" > "$out/hf.log" 2>&1
done
.venv/bin/python - "$base" "$@" <<'PY'
import json, sys
base, seeds = sys.argv[1], sys.argv[2:]
cols = ("triage padded", "triage packed", "Trainer grouped")
rows = []
for s in seeds:
    r = []
    for tag in ("padded", "packed"):
        t = json.load(open(f"{base}/seed{s}/{tag}/summary.json"))["test"]
        r.append((100 * t["entity_f1"], 100 * t["intent_accuracy"], 100 * t["frame_accuracy"]))
    h = json.load(open(f"{base}/seed{s}/hf.json"))
    r.append((h["slot_f1"], h["intent_accuracy"], h["frame_accuracy"]))
    rows.append((s, r))
print("| seed | " + " | ".join(f"{c} F1 / intent / frame" for c in cols) + " |")
for s, r in rows:
    print(f"| {s} | " + " | ".join(f"{a:.2f} / {b:.2f} / {c:.2f}" for a, b, c in r) + " |")
means = [[sum(r[i][k] for _, r in rows) / len(rows) for k in range(3)] for i in range(3)]
print(f"| **mean of {len(rows)}** | " + " | ".join(f"**{a:.2f} / {b:.2f} / {c:.2f}**" for a, b, c in means) + " |")
PY
