#!/usr/bin/env bash
# Training throughput: each engine under Batchscope vs bare (plain Trainer; llamafactory-cli when .venv-llamafactory exists).
#   bash bench/train.sh                          # CPU, tiny model
#   bash bench/train.sh --gpu --model-size 0.5b  # a ~0.5B Llama-style model, bf16 autocast
# Extra flags: --steps N --repeats N --batch N --cutoff N --workers N --no-llamafactory. Prints a table.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${BATCHSCOPE_TEST_PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
exec "$PY" bench/train/compare.py "$@"
