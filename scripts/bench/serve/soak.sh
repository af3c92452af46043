#!/usr/bin/env bash
# Serving soak benchmark (docs/benchmarks.md, "Serving soak"): triage-serve on the quickstart
# checkpoint for 1 + MINUTES minutes under CLIENTS keep-alive clients, with a reload every
# RELOAD_S seconds and SLOW slow connections from minute 1 on (scripts/bench/serve/soak.py).
#   scripts/bench/serve/soak.sh [MODEL_DIR (runs/quickstart/model/best)]
# Environment: SERVE_BIN (build/bin/triage-serve, built by scripts/build.sh when missing),
# OUT (runs/bench-soak/<date>), MINUTES (10), CLIENTS (32), SLOW (200), RELOAD_S (30),
# THREADS (2). Results: OUT/soak.{json,md}.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
here=$root/scripts/bench/serve
model=${1:-$root/runs/quickstart/model/best}
out=${OUT:-$root/runs/bench-soak/$(date +%Y%m%d-%H%M%S)}
py=$root/.venv/bin/python
[ -f "$model/config.json" ] || { echo "soak.sh: $model is not a checkpoint directory (no config.json); run scripts/quickstart.sh first" >&2; exit 2; }
[ -x "$py" ] || { echo "soak.sh: $py missing; run scripts/setup.sh --no-build" >&2; exit 2; }
for v in MINUTES CLIENTS SLOW RELOAD_S THREADS; do
  val=${!v:-1}
  [[ "$val" =~ ^[1-9][0-9]*$ ]] || { echo "soak.sh: $v must be a positive integer, found '$val'" >&2; exit 2; }
done
serve_bin=${SERVE_BIN:-$root/build/bin/triage-serve}
[ -x "$serve_bin" ] || "$root/scripts/build.sh" --target triage-serve
mkdir -p "$out"
loadgen=$root/build/bench-serve/loadgen
mkdir -p "$(dirname "$loadgen")"
if [ ! -x "$loadgen" ] || [ "$here/loadgen.cpp" -nt "$loadgen" ]; then
  g++ -O2 -std=c++20 -pthread -Wall -Wextra "$here/loadgen.cpp" -o "$loadgen.tmp" && mv "$loadgen.tmp" "$loadgen"
fi
exec "$py" "$here/soak.py" --serve-bin "$serve_bin" --loadgen "$loadgen" --model "$model" --out "$out" \
  --minutes "${MINUTES:-10}" --clients "${CLIENTS:-32}" --slow "${SLOW:-200}" --reload-s "${RELOAD_S:-30}" \
  --threads "${THREADS:-2}"
