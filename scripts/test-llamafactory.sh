#!/usr/bin/env bash
# The py-llamafactory lane: sets up the LLaMA-Factory venv (scripts/setup-llamafactory.sh, an overlay on
# .venv; warm when its wheels are cached), then runs runtime/tests/test_engine_llamafactory.py with the
# main .venv's pytest, handing it the LLaMA-Factory interpreter in BATCHSCOPE_LLAMAFACTORY_PYTHON.
# Writes JUnit XML to test-output/py-llamafactory.junit.xml (or BATCHSCOPE_LF_JUNIT). Extra arguments go
# to pytest. Where the venv cannot be set up (the set-up exits 3: no package index and no cached
# wheels), the tests are reported as skipped with that reason; any other set-up failure fails the lane.
set -uo pipefail
cd "$(dirname "$0")/.."
junit=${BATCHSCOPE_LF_JUNIT:-test-output/py-llamafactory.junit.xml}
mkdir -p "$(dirname "$junit")"
venv=${BATCHSCOPE_LF_VENV:-.venv-llamafactory}

bash scripts/setup-llamafactory.sh
rc=$?
if [ "$rc" = 0 ]; then
  case $venv in /*) py=$venv/bin/python ;; *) py=$PWD/$venv/bin/python ;; esac
  export BATCHSCOPE_LLAMAFACTORY_PYTHON=$py
elif [ "$rc" = 3 ]; then
  export BATCHSCOPE_LLAMAFACTORY_SKIP="the LLaMA-Factory venv cannot be set up here (no package index and no cached wheels; see the set-up output above)"
  echo "== py-llamafactory: SKIPPED: $BATCHSCOPE_LLAMAFACTORY_SKIP"
else
  echo "== py-llamafactory: scripts/setup-llamafactory.sh failed (exit $rc)" >&2
  exit "$rc"
fi
exec .venv/bin/python -m pytest -q --junitxml="$junit" runtime/tests/test_engine_llamafactory.py "$@"
