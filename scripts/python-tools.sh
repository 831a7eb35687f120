#!/usr/bin/env bash
# Ensures the project virtualenv (.venv) has the pinned Python tools of requirements-dev.txt, then runs
# one of them: scripts/python-tools.sh <tool> [args…]. Reinstalls only when requirements-dev.txt changes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/venv.sh" .venv requirements-dev.txt python-tools
[ "$#" -gt 0 ] || exit 0
tool="$1"; shift
exec "$root/.venv/bin/$tool" "$@"
