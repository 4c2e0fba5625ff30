#!/usr/bin/env bash
# Training throughput: the Batchscope runtime vs a plain torch loop, same model/data/settings.
#   bash bench/train.sh                          # CPU, tiny model
#   bash bench/train.sh --gpu --model-size 0.5b  # a ~0.5B Llama-style model, bf16 autocast
# Extra flags: --steps N --warmup N --repeats N --batch N --cutoff N --workers N. Prints a table.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${BATCHSCOPE_TEST_PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
exec "$PY" bench/train/compare.py "$@"
