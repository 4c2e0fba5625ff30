#!/usr/bin/env bash
# The runtime's pytest suite on the main .venv. Writes JUnit XML for scripts/junit-totals.mjs to
# test-output/py.junit.xml (or BATCHSCOPE_PY_JUNIT). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
junit=${BATCHSCOPE_PY_JUNIT:-test-output/py.junit.xml}
mkdir -p "$(dirname "$junit")"
exec .venv/bin/python -m pytest -q --junitxml="$junit" runtime/tests "$@"
