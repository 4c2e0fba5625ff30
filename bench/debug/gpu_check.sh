#!/usr/bin/env bash
# The debugger's checks for a lent GPU machine (no network, no Node), one script so it fits one call:
# 1. the debug and recorder tests that need an accelerator to mean anything (the pin-memory thread's
#    stop, recording batches that live on the GPU), with CUDA visible;
# 2. bench:debug's figures on a quiet 16-core host: overhead.py at 0 workers (throughput.py's loader,
#    the no-op loader warm and cold), then attached.py at 0 and 4 workers, CPU batches and pinned
#    batches copied to the GPU.
# Missing Python packages come as wheels in $WHEELS (default .whl; see /work/.library/device/README.md).
# The two recorder tests that train through the transformers engine read test/.fixtures (built here by
# scripts/fixtures.sh, 13 MB): carry it, or they are left out and the script says so.
# About 10 minutes on the lent H100 host (the tests 3, overhead.py 1.5, attached.py 5); TEST_LIMIT_S and
# REPS size it. Results land in $OUT when it is set (the device tool's folder), else bench/.data/gpu-debug.
set -uo pipefail
cd "$(dirname "$0")/../.."
PY=${BATCHSCOPE_TEST_PYTHON:-python3}
if [[ $PY == */* && $PY != /* ]]; then PY=$PWD/$PY; fi # absolute: the tests run it from other folders
OUTDIR=${OUT:-bench/.data/gpu-debug}
mkdir -p "$OUTDIR"
WHEELS=${WHEELS:-.whl}
if compgen -G "$WHEELS/*.whl" >/dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/bs-pylib "$WHEELS"/*.whl
  export PYTHONPATH=/tmp/bs-pylib${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONWARNINGS=ignore PYTHONUNBUFFERED=1 BATCHSCOPE_TEST_PYTHON=$PY
nproc
nvidia-smi -L || true
"$PY" -c "import sys, torch, transformers; print(sys.version.split()[0], 'torch', torch.__version__, 'transformers', transformers.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"

step() { echo "== $*"; }
step "tests (CUDA visible)"
deselect=()
if [ ! -f test/.fixtures/train/train.yaml ]; then
  echo "no test/.fixtures: the transformers-engine recorder tests are left out"
  deselect=(-k "not yaml_record_key")
fi
timeout "${TEST_LIMIT_S:-240}" "$PY" -m pytest -q -p no:cacheprovider -rs "${deselect[@]}" \
  runtime/tests/test_debug_session.py runtime/tests/test_record.py 2>&1 | tee "$OUTDIR/tests.log" | tail -15

step "overhead.py, 0 workers, one process"
for args in "--real" "" "--evict-mb 8"; do
  OMP_NUM_THREADS=1 "$PY" bench/debug/overhead.py $args | tee -a "$OUTDIR/overhead.jsonl"
done

step "attached.py, 0 and 4 workers: CPU batches, then pinned batches copied to the GPU"
"$PY" bench/debug/attached.py --workers 0,4 --reps "${REPS:-5}" | tee "$OUTDIR/attached.jsonl"
if "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  "$PY" bench/debug/attached.py --workers 0,4 --reps "${REPS:-5}" --device cuda --pin-memory | tee -a "$OUTDIR/attached.jsonl"
fi
