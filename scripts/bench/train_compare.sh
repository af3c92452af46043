#!/usr/bin/env bash
# triage-train against the Hugging Face Trainer peer (scripts/bench/hf_train.py) on one
# JointBERT dataset, same MiniLM weights, splits, seed, epochs, lr, batch size, max length
# and thread count; test-split slot F1 / intent accuracy and training tokens/s.
#   scripts/bench/train_compare.sh snips|bitext_cs [threads] [seed]
# With a seed other than 42 (the recipes' seed) results go to runs/bench/NAME-seedS.
# Both sides evaluate the final weights (triage runs without dev selection here).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
name=${1:?usage: train_compare.sh snips|bitext_cs [threads]}
threads=${2:-$(nproc)}
seed=${3:-42}
shared=${TRIAGE_SHARED_DIR:-$root/../shared}
out=runs/bench/$name
[ "$seed" = 42 ] || out=runs/bench/$name-seed$seed
mkdir -p "$out"
build/bin/triage-train --config "configs/$name.yaml" --set data.train="$shared/datasets/$name/train" \
  --set data.dev= --set data.test="$shared/datasets/$name/test" --set run.threads="$threads" --set run.seed="$seed" \
  --set run.output_dir="$out/triage" > "$out/triage.log" 2>&1
.venv/bin/python scripts/bench/hf_train.py --data "$shared/datasets/$name" --epochs 3 --lr 1e-4 \
  --batch-size 32 --max-len 64 --seed "$seed" --threads "$threads" --json "$out/hf.json" > "$out/hf.log" 2>&1
.venv/bin/python - "$out" <<'PY'
import json, sys
out = sys.argv[1]
t = json.load(open(f"{out}/triage/summary.json"))
h = json.load(open(f"{out}/hf.json"))
print(f"| triage | {100*t['test']['entity_f1']:.2f} | {100*t['test']['intent_accuracy']:.2f} | "
      f"{100*t['test']['frame_accuracy']:.2f} | {t['train_tokens_per_s']:.0f} | {t['seconds']:.0f} |")
print(f"| transformers Trainer | {h['slot_f1']:.2f} | {h['intent_accuracy']:.2f} | {h['frame_accuracy']:.2f} | "
      f"{h['train_tokens_per_s']:.0f} | {h['train_seconds']:.0f} |")
PY
