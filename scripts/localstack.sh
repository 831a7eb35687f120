#!/usr/bin/env bash
# Ensures the LocalStack virtualenv (.venv-localstack) has the pinned packages of
# requirements-localstack.txt (LocalStack in host mode, no Docker; about a minute to install), then runs
# its Python with the given arguments, if any: scripts/localstack.sh [python args…]. Reinstalls only when
# that file changes. local/emulator.ts starts LocalStack from here (LOCAL_EMULATOR=localstack,
# npm run test:e2e:localstack).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/venv.sh" .venv-localstack requirements-localstack.txt localstack
[ "$#" -gt 0 ] || exit 0
exec "$root/.venv-localstack/bin/python" "$@"
