#!/usr/bin/env bash
# Every test: TypeScript (node --test), Python (pytest, on torch 2.x and on torch 1.13) and end-to-end
# (code-server + Chromium). Prints one closing line "tests: N passed, N failed" summing all the suites.
# BATCHSCOPE_SKIP_TORCH113=1 skips the torch 1.13 suite (it needs Debian 12 and root for apt-get).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
export BATCHSCOPE_TEST_PYTHON="$PWD/.venv/bin/python"
mkdir -p test-output

npm run --silent typecheck || { echo "typecheck failed"; exit 1; }
npm run --silent build || exit 1
bash scripts/fixtures.sh test/.fixtures || { echo "fixture build failed"; exit 1; }

pass=0; fail=0
count_node() { # node's runner closes with "ℹ pass N" / "ℹ fail N" (spec) or "# pass N" (tap)
  local p f
  p=$(grep -aE '^(ℹ|#) pass [0-9]+' "$1" | tail -1 | grep -oE '[0-9]+$'); f=$(grep -aE '^(ℹ|#) fail [0-9]+' "$1" | tail -1 | grep -oE '[0-9]+$')
  pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
}
status=0

echo "== TypeScript tests"
node scripts/test-ts.mjs 2>&1 | tee test-output/ts.log; [ "${PIPESTATUS[0]}" = 0 ] || status=1
count_node test-output/ts.log

echo "== Python tests"
.venv/bin/python -m pytest -q runtime/tests 2>&1 | tee test-output/py.log; [ "${PIPESTATUS[0]}" = 0 ] || status=1
p=$(grep -oE '[0-9]+ passed' test-output/py.log | tail -1 | grep -oE '[0-9]+'); f=$(grep -oE '[0-9]+ (failed|error)' test-output/py.log | awk '{s+=$1} END {print s+0}')
pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))

if [ "${BATCHSCOPE_SKIP_TORCH113:-}" != 1 ]; then  # the runtime on Debian's torch 1.13 (apt + .venv-torch113)
  echo "== Python tests (torch 1.13)"
  bash scripts/test-torch113.sh 2>&1 | tee test-output/py-torch113.log; [ "${PIPESTATUS[0]}" = 0 ] || status=1
  p=$(grep -oE '[0-9]+ passed' test-output/py-torch113.log | tail -1 | grep -oE '[0-9]+'); f=$(grep -oE '[0-9]+ (failed|error)' test-output/py-torch113.log | awk '{s+=$1} END {print s+0}')
  pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
fi

if [ "${BATCHSCOPE_SKIP_E2E:-}" != 1 ]; then
  echo "== End-to-end tests (code-server + Chromium)"
  node scripts/e2e.mjs 2>&1 | tee test-output/e2e.log; [ "${PIPESTATUS[0]}" = 0 ] || status=1
  count_node test-output/e2e.log
fi

[ "$status" = 0 ] || [ "$fail" -gt 0 ] || fail=1   # a suite that crashed before counting still fails the run
echo "tests: $pass passed, $fail failed"
exit $status
