#!/usr/bin/env bash
# The test command: sets up if needed, builds, runs every ctest label except gpu.
#   scripts/test.sh [extra ctest args, e.g. -L unit or -R tokenizer]
# Exits non-zero on any failure. GPU tests: ctest --test-dir build -L gpu (on a GPU machine).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
if [ ! -x .venv/bin/python ] || [ ! -f .venv/.triage-requirements ] \
   || ! cmp -s requirements-dev.txt .venv/.triage-requirements \
   || ! cmp -s requirements-labelstudio.txt .venv-labelstudio/.triage-requirements 2>/dev/null; then
  scripts/setup.sh --no-build
fi
scripts/build.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -LE gpu -j "${TEST_JOBS:-2}" "$@"
