#!/usr/bin/env bash
# Every check: lint (eslint, prettier, ruff), then the test lanes — TypeScript (node --test), Python
# (pytest, on torch 2.x, in the LLaMA-Factory overlay venv and on torch 1.13), end-to-end (code-server + Chromium) and the container lane
# (the VSIX in a podman container, scripts/test-container.sh). Each lane writes a
# JUnit XML report to test-output/; scripts/junit-totals.mjs sums them into the closing line
# "tests: N passed, N failed, N skipped". Lint runs first but does not stop the lanes: its failure
# fails the run at the end. A lane that crashes without writing its report fails the run too.
# Env: BATCHSCOPE_SKIP_TORCH113=1 skips the torch 1.13 lane (it needs Debian 12 and root for apt-get);
#      BATCHSCOPE_SKIP_E2E=1 skips the end-to-end lane; BATCHSCOPE_SKIP_CONTAINER=1 the container lane.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
export BATCHSCOPE_TEST_PYTHON="$PWD/.venv/bin/python"
mkdir -p test-output

extra=()   # checks without a report that failed (counted as one failure each)
echo "== Lint (npm run lint)"
npm run --silent lint 2>&1 | tee test-output/lint.log
[ "${PIPESTATUS[0]}" = 0 ] || extra+=(--extra-failure=lint)

npm run --silent typecheck || { echo "typecheck failed"; exit 1; }
npm run --silent build || exit 1
bash scripts/fixtures.sh test/.fixtures || { echo "fixture build failed"; exit 1; }

lanes=()   # NAME=RC=REPORT for junit-totals
# lane NAME CMD JUNIT: runs CMD (a shell command line) with its output in test-output/NAME.log; CMD
# must write its JUnit XML to JUNIT (removed first, so a stale report never stands in for a crash).
lane() {
  local name=$1 cmd=$2 junit=$3
  echo "== $name"
  rm -f "$junit"
  bash -c "$cmd" 2>&1 | tee "test-output/$name.log"
  lanes+=("$name=${PIPESTATUS[0]}=$junit")
}

# The TypeScript lane drives the webviews in headless Chromium: on a fresh machine install it first
# (the e2e lane would, later), so those tests run instead of being skipped.
bash scripts/ensure-chromium.sh || echo "chromium could not be installed: the webview tests will be skipped"
lane ts 'node scripts/test-ts.mjs' test-output/ts.junit.xml
lane py 'bash scripts/test-py.sh' test-output/py.junit.xml
# LLaMA-Factory 0.9.5 in its own venv over .venv's torch (scripts/setup-llamafactory.sh; skipped, with the
# reason, only where that venv cannot be set up)
lane py-llamafactory 'bash scripts/test-llamafactory.sh' test-output/py-llamafactory.junit.xml
if [ "${BATCHSCOPE_SKIP_TORCH113:-}" != 1 ]; then  # the runtime on Debian's torch 1.13 (apt + .venv-torch113)
  lane py-torch113 'bash scripts/test-torch113.sh --junitxml=test-output/py-torch113.junit.xml' \
    test-output/py-torch113.junit.xml
fi
rm -f dist-vsix/batchscope.vsix  # whatever VSIX is there after the e2e lane was packaged by this run
if [ "${BATCHSCOPE_SKIP_E2E:-}" != 1 ]; then
  lane e2e 'node scripts/e2e.mjs' test-output/e2e.junit.xml
fi
# The VSIX inside a podman container (docs/devcontainer.json), UI in Chromium outside; it reuses the
# e2e lane's VSIX, builds or loads its cached image, and records a skip where podman cannot run.
vsix=""
[ -f dist-vsix/batchscope.vsix ] && vsix="$PWD/dist-vsix/batchscope.vsix"
lane container "BATCHSCOPE_E2E_VSIX='$vsix' bash scripts/test-container.sh" test-output/container.junit.xml

echo "== Totals (from the JUnit reports)"
node scripts/junit-totals.mjs "${lanes[@]}" "${extra[@]}"
