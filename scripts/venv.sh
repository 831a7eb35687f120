#!/usr/bin/env bash
# Keeps a project virtualenv in step with a pinned requirements file:
#   scripts/venv.sh <venv dir> <requirements file> <label>   (paths relative to the project root)
# Recreates the virtualenv and installs the file when the file's SHA-256 differs from the one recorded by
# the last install (or there is no virtualenv yet); otherwise does nothing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/$1"
requirements="$root/$2"
label="$3"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "$label: installing $2 into $1" >&2
  started="$(date +%s)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$want" > "$stamp"
  echo "$label: installed in $(( $(date +%s) - started )) s" >&2
fi
