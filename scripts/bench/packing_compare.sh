#!/usr/bin/env bash
# Batches without padding (run.packing, issue 21) on the CPU, side by side in one run:
# triage padded (length-bucketed, the default), triage packed (same bucketed batches, then
# random batches where padding costs most, padded and packed) and the Hugging Face Trainer
# with length-grouped batches (hf_train.py --group-by-length), same MiniLM, splits, seed,
# epochs, lr, batch size, max length and threads as train_compare.sh; test-split slot F1,
# intent accuracy and training tokens/s. PRECISION fp32 (default) or bf16 (both sides).
#   scripts/bench/packing_compare.sh snips|bitext_cs [threads] [fp32|bf16]
# The Trainer's padding-free collation (DataCollatorWithFlattening) is not run: BERT in
# transformers honours its flattened position_ids only with flash attention (CUDA).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
name=${1:?usage: packing_compare.sh snips|bitext_cs [threads] [fp32|bf16]}
threads=${2:-$(nproc)}
precision=${3:-fp32}
shared=${TRIAGE_SHARED_DIR:-$root/../shared}
out=runs/bench/packing-$name-$precision
mkdir -p "$out"
hf_prec=()
[ "$precision" = bf16 ] && hf_prec=(--bf16)
run_triage() {  # NAME extra --set args...
  local tag=$1; shift
  build/bin/triage-train --config "configs/$name.yaml" --set data.train="$shared/datasets/$name/train" \
    --set data.dev= --set data.test="$shared/datasets/$name/test" --set run.threads="$threads" \
    --set run.precision="$precision" --set track.tensorboard=false --set run.output_dir="$out/$tag" "$@" \
    > "$out/$tag.log" 2>&1
}
run_triage padded --set run.packing=false
run_triage packed --set run.packing=true
.venv/bin/python scripts/bench/hf_train.py --data "$shared/datasets/$name" --epochs 3 --lr 1e-4 --batch-size 32 \
  --max-len 64 --seed 42 --threads "$threads" --group-by-length "${hf_prec[@]}" --json "$out/hf-grouped.json" \
  > "$out/hf-grouped.log" 2>&1
run_triage padded-random --set run.packing=false --set run.bucket_batches=1
run_triage packed-random --set run.packing=true --set run.bucket_batches=1
.venv/bin/python - "$out" "$name" "$precision" <<'PY'
import json, sys
out, name, prec = sys.argv[1:]
rows = []
for tag, what in (("padded", "length-bucketed, padded (default)"), ("packed", "length-bucketed, packed"),
                  ("padded-random", "random, padded"), ("packed-random", "random, packed")):
    t = json.load(open(f"{out}/{tag}/summary.json"))
    rows.append(("triage", what, 100 * t["test"]["entity_f1"], 100 * t["test"]["intent_accuracy"],
                 100 * t["test"]["frame_accuracy"], t["train_tokens_per_s"], t["seconds"]))
h = json.load(open(f"{out}/hf-grouped.json"))
rows.append(("transformers Trainer", "length-grouped, padded", h["slot_f1"], h["intent_accuracy"], h["frame_accuracy"],
             h["train_tokens_per_s"], h["train_seconds"]))
best_hf = rows[-1][5]
print(f"{name}, {prec}: trainer | batches | slot F1 | intent acc. | frame acc. | train tokens/s | train s | vs Trainer")
for r in rows:
    print(f"| {r[0]} | {r[1]} | {r[2]:.2f} | {r[3]:.2f} | {r[4]:.2f} | {r[5]:,.0f} | {r[6]:.0f} | {r[5] / best_hf:.2f}x |")
PY
