#!/usr/bin/env bash
# Ensures the LocalStack virtualenv (.venv-localstack) has the pinned packages of
# requirements-localstack.txt (LocalStack in host mode, no Docker), then runs its Python with the given
# arguments, if any: scripts/localstack.sh [python args…]. Reinstalls only when that file changes.
# local/emulator.ts starts LocalStack from here (LOCAL_EMULATOR=localstack, npm run test:e2e:localstack).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv-localstack"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$root/requirements-localstack.txt" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "localstack: installing requirements-localstack.txt into .venv-localstack (about a minute)" >&2
  started="$(date +%s)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$root/requirements-localstack.txt"
  echo "$want" > "$stamp"
  echo "localstack: installed in $(( $(date +%s) - started )) s" >&2
fi
[ "$#" -gt 0 ] || exit 0
exec "$venv/bin/python" "$@"
