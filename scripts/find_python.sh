#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Rasa 3.6 supports nothing newer).
# Looks on PATH first, then in pyenv; stops with install advice when none exists.
set -euo pipefail

is_310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; }

for candidate in "${PYTHON:-}" python3.10 python3 python; do
  [ -n "$candidate" ] || continue
  path=$(command -v "$candidate" 2>/dev/null) || continue
  if is_310 "$path"; then echo "$path"; exit 0; fi
done

pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
for path in $(ls -d "$pyenv_root"/versions/3.10.*/bin/python 2>/dev/null | sort -V -r); do
  if is_310 "$path"; then echo "$path"; exit 0; fi
done

cat >&2 <<'MSG'
error: Python 3.10 was not found (Rasa Open Source 3.6 runs on Python 3.8-3.10 only).
Install one of:
  - Debian/Ubuntu:  sudo apt-get install python3.10 python3.10-venv
  - pyenv:          pyenv install 3.10.13
  - macOS:          brew install python@3.10
or point PYTHON at an existing 3.10 interpreter:  make PYTHON=/path/to/python3.10 run
MSG
exit 1
