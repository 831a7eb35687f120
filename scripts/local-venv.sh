#!/usr/bin/env bash
# Ensures the local platform's virtualenv (.venv-local) has the pinned packages of requirements-local.txt
# (the moto server); local/emulator.ts runs it on first use. Shipped in the npm package, where it runs inside
# the installed package's folder (the virtualenv itself lives in the machine's cache, see scripts/venv.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/venv.sh" .venv-local requirements-local.txt local
