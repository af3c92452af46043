#!/usr/bin/env bash
# Serving latency benchmark (issue 5; docs/benchmarks.md, "Serving latency (CPU)"):
# triage-serve over HTTP against the Hugging Face pipeline and ONNX Runtime, same
# checkpoint, same messages, same thread count, one run on this machine.
#   scripts/bench/serve/run.sh [MODEL_DIR (runs/quickstart/model/best)] [THREADS (nproc)]
# Environment: BUILD_DIR (build-bench; triage-serve is built there, never in build/),
# SERVE_BIN (a prebuilt server instead), OUT (runs/bench-serve/<date>), BENCH_SECONDS (20)
# and BENCH_REQUESTS (1000): each configuration runs until both are reached; ONLY (phases,
# hf,ort,serve,serve_bf16,hf_bf16,serve_int8,hf_int8,ort_int8), WAIT_CALM (seconds to wait
# for load average <= 1.5 first, 0), SERVE_SET ("key=value ..." extra server settings). Results: OUT/results.{json,md}.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
here=$root/scripts/bench/serve
model=${1:-$root/runs/quickstart/model/best}
threads=${2:-$(nproc)}
build_dir=${BUILD_DIR:-$root/build-bench}
out=${OUT:-$root/runs/bench-serve/$(date +%Y%m%d-%H%M%S)}
only=${ONLY:-hf,ort,serve,serve_bf16,hf_bf16,serve_int8,hf_int8,ort_int8}
py=$root/.venv/bin/python

[ -f "$model/config.json" ] || { echo "run.sh: $model is not a checkpoint directory (no config.json); run scripts/quickstart.sh first" >&2; exit 2; }
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: THREADS must be a positive integer, found '$threads'" >&2; exit 2; }
[ -x "$py" ] || { echo "run.sh: $py missing; run scripts/setup.sh --no-build" >&2; exit 2; }
"$py" -c 'import onnxruntime, onnxscript' 2>/dev/null ||
  { echo "run.sh: onnxruntime/onnxscript missing in .venv; run scripts/setup.sh --no-build (requirements-dev.txt)" >&2; exit 2; }

serve_bin=${SERVE_BIN:-}
if [[ ",$only," == *",serve"* ]]; then
  if [ -z "$serve_bin" ]; then
    BUILD_DIR=$build_dir "$root/scripts/build.sh" --target triage-serve
    serve_bin=$build_dir/bin/triage-serve
  fi
  mkdir -p "$build_dir/bench-serve"
  loadgen=$build_dir/bench-serve/loadgen
  if [ ! -x "$loadgen" ] || [ "$here/loadgen.cpp" -nt "$loadgen" ]; then
    g++ -O2 -std=c++20 -pthread -Wall -Wextra "$here/loadgen.cpp" -o "$loadgen.tmp" && mv "$loadgen.tmp" "$loadgen"
  fi
fi

set_args=()
for kv in ${SERVE_SET:-}; do set_args+=(--serve-set "$kv"); done
exec "$py" "$here/bench.py" --model "$model" --threads "$threads" --serve-bin "${serve_bin:-none}" \
  --loadgen "${loadgen:-none}" --out "$out" --only "$only" --seconds "${BENCH_SECONDS:-20}" \
  --requests "${BENCH_REQUESTS:-1000}" --wait-calm "${WAIT_CALM:-0}" "${set_args[@]}"
