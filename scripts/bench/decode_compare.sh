#!/usr/bin/env bash
# Greedy against constrained decoding (decode.mode, issue 18) on one checkpoint and one test
# set: entity F1 (seqeval default and strict IOB2) and sentence accuracy (every word's tag
# right), one table row per mode (intents do not depend on the decoding).
#   scripts/bench/decode_compare.sh CHECKPOINT_DIR TEST_DATA [label]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
model=${1:?usage: decode_compare.sh CHECKPOINT_DIR TEST_DATA [label]}
data=${2:?usage: decode_compare.sh CHECKPOINT_DIR TEST_DATA [label]}
label=${3:-$(basename "$data")}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for decode in greedy constrained; do
  for mode in default strict; do
    "$root/build/bin/triage-eval" --model "$model" --data "$data" --decode "$decode" --mode "$mode" \
      --json "$tmp/$decode-$mode.json" > /dev/null
  done
done
"$root/.venv/bin/python" - "$tmp" "$label" <<'PY'
import json, sys
tmp, label = sys.argv[1], sys.argv[2]
for decode in ("greedy", "constrained"):
    d, s = (json.load(open(f"{tmp}/{decode}-{m}.json")) for m in ("default", "strict"))
    print(f"| {label} | {decode} | {100 * d['entity']['f1']:.2f} | {100 * s['entity']['f1']:.2f} | "
          f"{100 * d['sentence_accuracy']:.2f} |")
PY
