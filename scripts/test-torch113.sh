#!/usr/bin/env bash
# The runtime's pytest suites (training, DataLoader debugger, doctor, CLI) under the oldest supported stack:
# torch 1.13.1 (Debian 12 python3-torch) + transformers 4.47 in .venv-torch113 (scripts/setup-torch113.sh).
# Fixtures come from test/.fixtures (built with the main .venv by scripts/fixtures.sh; transformers 4.47
# loads the transformers-5 model fixture as it is). Extra arguments go to pytest.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-torch113.sh || exit 1
[ -f test/.fixtures/model/config.json ] || bash scripts/fixtures.sh test/.fixtures || { echo "fixture build failed"; exit 1; }
export BATCHSCOPE_TEST_PYTHON="$PWD/.venv-torch113/bin/python"
exec .venv-torch113/bin/python -m pytest -q -p no:cacheprovider "$@" \
  runtime/tests/test_train_*.py runtime/tests/test_debug_*.py runtime/tests/test_doctor.py runtime/tests/test_cli.py
