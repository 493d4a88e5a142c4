#!/usr/bin/env bash
# Make .venv usable: a Python 3.10 venv with exactly requirements.lock installed.
#
# The venv lives outside the clone, keyed by the lock file's hash, and .venv is a
# link to it: a fresh clone on the same machine reuses it in a second, and a
# changed lock file builds a new one beside the old.
set -euo pipefail
cd "$(dirname "$0")/.."

cache_root="${FASHIONISTAS_CACHE:-$HOME/.cache/fashionistas}"
lock_hash=$(sha256sum requirements.lock | cut -c1-16)
target="$cache_root/venvs/py310-$lock_hash"

if [ -x "$target/bin/python" ] && [ -f "$target/.complete" ]; then
  if [ "$(readlink .venv 2>/dev/null)" != "$target" ]; then
    rm -rf .venv && ln -s "$target" .venv
  fi
  exit 0
fi

python=$(scripts/find_python.sh)
echo "bootstrap: creating $target with $python (first time only, about 2 minutes)" >&2
rm -rf "$target" && mkdir -p "$cache_root/venvs"
"$python" -m venv "$target"
"$target/bin/python" -m pip install --quiet --disable-pip-version-check "pip==24.0"
"$target/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.lock
"$target/bin/python" -m pip check >&2
touch "$target/.complete"
rm -rf .venv && ln -s "$target" .venv
echo "bootstrap: venv ready" >&2
