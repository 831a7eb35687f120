#!/usr/bin/env bash
# Keeps a project virtualenv in step with a pinned requirements file:
#   scripts/venv.sh <venv link> <requirements file> <label>   (paths relative to the project root)
# The virtualenv itself lives in the machine's cache, one per label, Python version and SHA-256 of the
# requirements file: ${MEDALLION_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/medallion-platform}/venvs/. The
# project path (.venv, .venv-localstack) is a symlink to it, so every checkout and CI run on the machine
# shares one install, and a changed requirements file gets a fresh virtualenv of its own. Installs only when
# that virtualenv is missing or incomplete; otherwise does nothing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
link="$root/$1"
requirements="$root/$2"
label="$3"
cache="${MEDALLION_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/medallion-platform}/venvs"
python_version="$(python3 -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
venv="$cache/$label-py$python_version-${want:0:16}"
stamp="$venv/.requirements.sha256"
mkdir -p "$cache"
# One installer at a time per virtualenv (parallel test workers, two checkouts); the others wait for it.
exec 9>"$venv.lock"
flock 9
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || [ ! -x "$venv/bin/python" ]; then
  echo "$label: installing $2 into $venv, once per machine (about a minute; pip's progress follows)" >&2
  started="$(date +%s)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  # pip names each package as it collects and installs it (on stderr: a command's own output stays clean).
  "$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar off --no-color -r "$requirements" >&2
  echo "$want" > "$stamp"
  echo "$label: installed in $(( $(date +%s) - started )) s" >&2
fi
flock -u 9
# For a program that only needs the virtualenv (the local platform, which may run from an installed package
# whose folder is not the user's to change): its path on stdout, no link.
if [ "${MEDALLION_VENV_NO_LINK:-}" = 1 ]; then
  echo "$venv"
  exit 0
fi
# The project path points at it (a virtualenv left there by an older checkout is replaced).
if [ "$(readlink "$link" 2>/dev/null)" != "$venv" ]; then
  rm -rf "$link"
  ln -s "$venv" "$link"
fi
