#!/usr/bin/env bash
# Create .venv with Python >= 3.12 and install ecosim with its dev extras (idempotent).
# Says what it does: the first time takes about 1-3 minutes (creating the venv, downloading
# and installing numba, mesa, pandas, pyarrow, ...); later calls return at once.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "bootstrap: $*" >&2; }

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

started=$SECONDS
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
  rm -rf .venv
  python=$(find_python)
  say "creating .venv with $("$python" --version 2>&1)"
  "$python" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  say "installing ecosim and its dependencies into .venv (usually 1-3 minutes the first time) ..."
  .venv/bin/python -m pip install --quiet --upgrade pip 2>/dev/null
  .venv/bin/python -m pip install --quiet -e ".[dev]" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  rm -f .venv/.installed-* && touch "$stamp"
  say "installed in $((SECONDS - started)) s; the first model run then compiles the kernels once (1-2 minutes)"
fi
# The browser tests and the report's offline check drive the system Chromium (never a downloaded one).
if [ -z "${ECOSIM_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's chromium for the browser tests (apt-get, about a minute) ..."
    apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null; }
  else
    say "warning: no chromium on PATH; the browser tests need it (apt-get install chromium, or set ECOSIM_CHROMIUM)"
  fi
fi
