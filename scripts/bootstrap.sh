#!/usr/bin/env bash
# Create .venv with Python >= 3.12 and install ecosim with its dev extras (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  local candidates=(python3.12 python3.13 python3)
  if command -v pyenv >/dev/null 2>&1; then
    candidates=("$(pyenv root)"/versions/3.12*/bin/python3 "$(pyenv root)"/versions/3.13*/bin/python3 "${candidates[@]}")
  fi
  for py in "${candidates[@]}"; do
    if [ -x "$(command -v "$py" 2>/dev/null || echo "$py")" ] &&
       "$py" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      echo "$py"; return 0
    fi
  done
  echo "error: ecosim needs Python >= 3.12 (pyenv install 3.12, or put python3.12 on PATH)" >&2
  return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
  rm -rf .venv
  "$(find_python)" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  rm -f .venv/.installed-* && touch "$stamp"
fi
