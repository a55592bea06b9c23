#!/usr/bin/env bash
# The test command of the README: set up if needed, then run the default test suite.
# Extra arguments go to pytest (e.g. `-m slow` for the long statistical runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
status=0
.venv/bin/python -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "error: pytest collected no tests: that is a failure of intent, not a pass" >&2
  exit 1
fi
exit "$status"
