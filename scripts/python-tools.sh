#!/usr/bin/env bash
# Ensures the project virtualenv (.venv) has the pinned Python tools of requirements-dev.txt, then runs
# one of them: scripts/python-tools.sh <tool> [args…]. Reinstalls only when requirements-dev.txt changes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$root/requirements-dev.txt" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "python-tools: installing requirements-dev.txt into .venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$root/requirements-dev.txt"
  echo "$want" > "$stamp"
fi
[ "$#" -gt 0 ] || exit 0
tool="$1"; shift
exec "$venv/bin/$tool" "$@"
