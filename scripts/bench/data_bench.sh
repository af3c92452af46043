#!/usr/bin/env bash
# Data pipeline throughput (docs/benchmarks.md, "Data pipeline throughput"): read +
# tokenize + align, examples/s on one thread, for bitext_cs (JSONL and JointBERT) and SNIPS
# train, with the BERT uncased WordPiece fixture.
#   scripts/bench/data_bench.sh [BUILD_DIR (default build-data)] [SECONDS (default 3)]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$root/build-data}
seconds=${2:-3}
shared=${TRIAGE_SHARED_DIR:-$root/../shared}
bench=$build/tests/data_bench
[ -x "$bench" ] || { echo "build it first: cmake --build $build --target data_bench" >&2; exit 2; }
[ -d "$shared/datasets" ] || { echo "skipped: $shared/datasets absent" >&2; exit 77; }
ds=$shared/datasets
exec taskset -c 0 "$bench" --tokenizer "$shared/fixtures/wordpiece-uncased" --seconds "$seconds" \
  "$ds/bitext_cs/train.jsonl:jsonl" "$ds/bitext_cs/train:jointbert" "$ds/snips/train:jointbert"
