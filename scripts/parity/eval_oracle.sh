#!/bin/sh
# Runs eval_oracle.py with the project's Python; exits 77 (skipped) when that Python or its
# seqeval / scikit-learn packages are missing.
py=${TRIAGE_PYTHON:-}
if [ -z "$py" ] || [ ! -x "$py" ]; then
  echo "skip: TRIAGE_PYTHON '$py' is not an executable Python (run scripts/setup.sh)"
  exit 77
fi
if ! "$py" -c "import seqeval, sklearn" 2>/dev/null; then
  echo "skip: $py lacks seqeval or scikit-learn (run scripts/setup.sh)"
  exit 77
fi
exec "$py" "$(dirname "$0")/eval_oracle.py" "$@"
