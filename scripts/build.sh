#!/usr/bin/env bash
# Configures (once) and builds triage in build/ (Release, ccache, Ninja when present).
#   scripts/build.sh [extra cmake --build args, e.g. --target triage-model]
# BUILD_DIR, BUILD_TYPE and CMAKE_ARGS in the environment override the defaults.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
build_type=${BUILD_TYPE:-Release}
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
# ccache with precompiled headers: these sloppiness settings let it cache PCH users.
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
# Paths hashed relative to the checkout: build directories side by side share cache entries.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  # shellcheck disable=SC2086
  cmake -S "$root" -B "$build_dir" "${gen[@]}" -DCMAKE_BUILD_TYPE="$build_type" ${CMAKE_ARGS:-}
fi
jobs=${BUILD_JOBS:-$(nproc)}
cmake --build "$build_dir" -j "$jobs" "$@"
