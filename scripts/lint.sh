#!/usr/bin/env bash
# `npm run lint`: every linter and format check, on both languages. Runs them all, then fails if any did.
#   eslint (eslint.config.mjs: typescript-eslint + the folder import boundaries)
#   prettier --check (.prettierrc; fix with `npm run format`)
#   ruff check / ruff format --check over runtime/ (settings in runtime/pyproject.toml)
# Caches live in node_modules/.cache, so a second run only re-reads changed files.
set -uo pipefail
cd "$(dirname "$0")/.."
failed=()
check() { # check NAME CMD...: runs CMD, remembers NAME when it fails
  local name=$1; shift
  echo "-- $name"
  "$@" || failed+=("$name")
}

check eslint node_modules/.bin/eslint --cache --cache-location node_modules/.cache/eslint/ .
check prettier node_modules/.bin/prettier --check --cache --log-level=warn .
RUFF=.venv/bin/ruff
if [ -x "$RUFF" ]; then
  check 'ruff check' "$RUFF" check --output-format=concise runtime
  check 'ruff format' "$RUFF" format --check --output-format=concise runtime
else
  echo "ruff is not installed in .venv: run bash scripts/setup.sh (runtime/requirements-dev.txt lists it)"
  failed+=(ruff)
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "lint failed: ${failed[*]}"
  exit 1
fi
echo "lint passed"
