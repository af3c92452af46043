#!/usr/bin/env bash
# Calibration of one checkpoint (issue 18): temperatures fitted on DEV_DATA with
# triage-eval --calibrate (stored in the checkpoint's triage.json), then the test split scored
# with them; one table row per score kind (intent, token): T, ECE (15 bins) and Brier before
# and after, on the test split. Writes TEST's reliability diagram next to the checkpoint
# (reliability-test.png).
#   scripts/bench/calibration_compare.sh CHECKPOINT_DIR DEV_DATA TEST_DATA [label] [--threads N]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
usage="usage: calibration_compare.sh CHECKPOINT_DIR DEV_DATA TEST_DATA [label]"
model=${1:?$usage}
dev=${2:?$usage}
test=${3:?$usage}
label=${4:-$(basename "$test")}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$root/build/bin/triage-eval" --model "$model" --data "$dev" --calibrate --json "$tmp/dev.json" > /dev/null 2>&1
"$root/build/bin/triage-eval" --model "$model" --data "$test" --plot "$model/reliability-test.png" \
  --json "$tmp/test.json" > /dev/null 2>&1
"$root/.venv/bin/python" - "$tmp" "$label" <<'PY'
import json, sys
tmp, label = sys.argv[1], sys.argv[2]
cal = json.load(open(f"{tmp}/test.json"))["calibration"]
for kind in ("intent", "token"):
    if kind not in cal:
        continue
    c = cal[kind]
    print(f"| {label} | {kind} | {c['temperature']:.3f} | {c['before']['n']} | {c['before']['ece']:.4f} | "
          f"{c['after']['ece']:.4f} | {c['before']['brier']:.4f} | {c['after']['brier']:.4f} |")
PY
