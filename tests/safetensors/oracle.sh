#!/bin/sh
# Runs oracle.py with the project's Python; exits 77 (skipped) when that Python or its
# safetensors/numpy packages are missing.
py=${TRIAGE_PYTHON:-}
if [ -z "$py" ] || [ ! -x "$py" ]; then
  echo "skip: TRIAGE_PYTHON '$py' is not an executable Python (run scripts/setup.sh)"
  exit 77
fi
if ! "$py" -c "import safetensors.numpy, numpy" 2>/dev/null; then
  echo "skip: $py lacks safetensors or numpy (run scripts/setup.sh)"
  exit 77
fi
exec "$py" "$(dirname "$0")/oracle.py" "$@"
