#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: npm dependencies and the project-local .venv.
# Re-runs skip what is already up to date (stamps hold the hash of the lock/requirements file).
set -euo pipefail
cd "$(dirname "$0")/.."

stamp() { sha256sum "$1" | cut -c1-16; }

if [ ! -f node_modules/.batchscope-stamp ] || [ "$(cat node_modules/.batchscope-stamp)" != "$(stamp package-lock.json)" ]; then
  echo "== npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  stamp package-lock.json > node_modules/.batchscope-stamp
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "== python venv (.venv)"
  "$PYTHON" -m venv .venv
fi
if [ ! -f .venv/.batchscope-stamp ] || [ "$(cat .venv/.batchscope-stamp)" != "$(stamp runtime/requirements-dev.txt)" ]; then
  echo "== pip install -r runtime/requirements-dev.txt"
  .venv/bin/pip install --quiet --disable-pip-version-check -r runtime/requirements-dev.txt
  stamp runtime/requirements-dev.txt > .venv/.batchscope-stamp
fi
