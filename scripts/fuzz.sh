#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) in build-fuzz/, writes or copies a
# fresh seed corpus and fuzzes one target for RUNS executions on one job.
#   scripts/fuzz.sh [RUNS] [TARGET]   RUNS defaults to 1000000; TARGET: safetensors (default),
#                                     request (triage-serve's request parser), tokenizer_json
#                                     (the tokenizer.json loader), tokenizer_encode (its encoder)
#                                     or all (one after the other)
# FUZZ_BUILD_DIR, FUZZ_CORPUS (a directory kept between runs; default: a fresh temporary
# one) and FUZZ_ARGS (extra libFuzzer flags) override the defaults. Crashes are written to
# <build>/crashes/. Exits non-zero if the fuzzer finds a crash.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${1:-1000000}
target=${2:-safetensors}
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
case "$target" in
  all)
    "$0" "$runs" safetensors
    "$0" "$runs" request
    "$0" "$runs" tokenizer_json
    exec "$0" "$runs" tokenizer_encode ;;
  safetensors | request | tokenizer_json | tokenizer_encode) ;;
  *) echo "fuzz.sh: unknown target '$target' (safetensors, request, tokenizer_json, tokenizer_encode or all)" >&2
     exit 2 ;;
esac
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" "${gen[@]}" -DTRIAGE_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
corpus=${FUZZ_CORPUS:-}
if [ -z "$corpus" ]; then
  corpus=$(mktemp -d "${TMPDIR:-/tmp}/triage-fuzz-corpus.XXXXXX")
  trap 'rm -rf "$corpus"' EXIT
fi
mkdir -p "$corpus" "$build/crashes"
if [ "$target" = safetensors ]; then
  cmake --build "$build" --target safetensors_fuzz safetensors_fuzz_seeds
  fuzzer=$(find "$build" -type f -name safetensors_fuzz -perm -u+x | head -n1)
  seeder=$(find "$build" -type f -name safetensors_fuzz_seeds -perm -u+x | head -n1)
  "$seeder" "$corpus"
  dict="$root/tests/fuzz/safetensors.dict"
  log="$build/fuzz.log"
elif [ "$target" = request ]; then
  cmake --build "$build" --target request_fuzz
  fuzzer=$(find "$build" -type f -name request_fuzz -perm -u+x | head -n1)
  cp "$root"/tests/fuzz/request_seeds/* "$corpus"/
  dict="$root/tests/fuzz/request.dict"
  log="$build/request_fuzz.log"
else
  cmake --build "$build" --target "${target}_fuzz"
  fuzzer=$(find "$build" -type f -name "${target}_fuzz" -perm -u+x | head -n1)
  [ "$target" = tokenizer_json ] && cp "$root"/tests/fuzz/tokenizer_json_seeds/* "$corpus"/
  dict=/dev/null
  log="$build/${target}_fuzz.log"
fi
echo "fuzz: $target, $(ls "$corpus" | wc -l) corpus files in $corpus, $runs runs"

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
start=$(date +%s)
set +e
max_len=4096
[ "$target" = tokenizer_json ] && max_len=8192
dict_arg=()
[ "$dict" != /dev/null ] && dict_arg=(-dict="$dict")
# shellcheck disable=SC2086
"$fuzzer" -runs="$runs" -max_len="$max_len" -print_final_stats=1 \
  "${dict_arg[@]}" -artifact_prefix="$build/crashes/" \
  ${FUZZ_ARGS:-} "$corpus" 2>&1 | tee "$log" | grep -vE '^(#[0-9]+\s+(NEW|REDUCE|pulse)|"|\s+NEW_FUNC)'
rc=${PIPESTATUS[0]}
set -e
end=$(date +%s)
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
echo "fuzz: $target executions=${execs:-?} seconds=$((end - start)) exit=$rc (log: $log)"
exit "$rc"
