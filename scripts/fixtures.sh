#!/usr/bin/env bash
# Builds every test fixture with the real Python libraries into test/.fixtures (git-ignored).
# Each builder in test/fixtures/builders/*.py takes the output folder; they run in name order,
# so a_tokenizer.py comes first and the others may use OUT/tokenizer.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-test/.fixtures}
mkdir -p "$OUT"
PY=${BATCHSCOPE_TEST_PYTHON:-.venv/bin/python}
for b in test/fixtures/builders/*.py; do
  "$PY" "$b" "$OUT"
done
