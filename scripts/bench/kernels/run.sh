#!/usr/bin/env bash
# Runs the kernel benchmark (fused ops vs torch eager, training step, batch-1 inference) on the
# GPU of this machine in bf16 and fp32 and writes the tables and JSON to OUT_DIR (default
# build/bench-kernels). Figures belong in docs/benchmarks.md only when measured on a GPU; name it.
# Usage: scripts/bench/kernels/run.sh [BUILD_DIR] [OUT_DIR] [extra kernel_bench args...]
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
build="${1:-$root/build}"
out="${2:-$build/bench-kernels}"
shift $(( $# > 2 ? 2 : $# )) || true
cmake --build "$build" --target kernel_bench
mkdir -p "$out"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
for dtype in bf16 fp32; do
  "$build/bin/kernel_bench" --dtype "$dtype" --json "$out/kernels-$dtype.json" "$@" | tee "$out/kernels-$dtype.md"
done
echo "results in $out"
