#!/usr/bin/env bash
# The GPU check of issue 9 on a lent machine (no network): the transformers engine under Batchscope vs a
# plain Trainer script, LoRA and full, on a random-initialised ~0.5B Llama-shaped model, bf16. peft and
# accelerate come as wheels in bench/.data/wheels (pip download --no-deps peft==0.18.1 accelerate==1.11.0).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${BATCHSCOPE_TEST_PYTHON:-python3}
if ! "$PY" -c "import peft, accelerate" 2>/dev/null; then
  "$PY" -m pip install --quiet --no-deps --target /tmp/bs-pylib bench/.data/wheels/*.whl
  export PYTHONPATH=/tmp/bs-pylib${PYTHONPATH:+:$PYTHONPATH}
fi
"$PY" -c "import torch, transformers, peft; print('torch', torch.__version__, 'transformers', transformers.__version__, 'peft', peft.__version__, torch.cuda.get_device_name(0))"
for ft in ${FINETUNING:-lora full}; do
  BATCHSCOPE_TEST_PYTHON=$PY bash bench/train.sh --gpu --model-size 0.5b --steps "${STEPS:-40}" --repeats "${REPEATS:-1}" --no-llamafactory --finetuning $ft
done
