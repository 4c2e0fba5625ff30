#!/usr/bin/env bash
# Optional lane: .venv-llamafactory with a pinned LLaMA-Factory, for the `llamafactory` engine tests
# (runtime/tests/test_engine_llamafactory.py) and bench/train. Idempotent (a stamp holds the pins).
# LLaMA-Factory pins transformers/datasets/peft/trl below the newest releases the main .venv uses,
# so it lives in its own venv. torch is installed first, then LLaMA-Factory against it, so that pip
# never swaps torch for another build (a mismatched torchaudio/torch pair fails to import).
set -euo pipefail
cd "$(dirname "$0")/.."

LLAMAFACTORY_VERSION=${LLAMAFACTORY_VERSION:-0.9.5}
# torchaudio (imported by LLaMA-Factory's mm_plugin) must be built for the same torch and CUDA: its
# newest release is 2.11.0, and torchaudio 2.11.0 beside torch 2.15 fails with "compiled with
# different CUDA versions". So torch, torchaudio and torchvision are pinned as one release.
TORCH_VERSION=${TORCH_VERSION:-2.11.0}
TORCHAUDIO_VERSION=${TORCHAUDIO_VERSION:-2.11.0}
TORCHVISION_VERSION=${TORCHVISION_VERSION:-0.26.0}
PINS="llamafactory==$LLAMAFACTORY_VERSION torch==$TORCH_VERSION torchaudio==$TORCHAUDIO_VERSION torchvision==$TORCHVISION_VERSION"
PYTHON=${PYTHON:-python3}

if [ -f .venv-llamafactory/.batchscope-stamp ] && [ "$(cat .venv-llamafactory/.batchscope-stamp)" = "$PINS" ]; then
  echo "== .venv-llamafactory is up to date ($PINS)"
  exit 0
fi
[ -x .venv-llamafactory/bin/python ] || "$PYTHON" -m venv .venv-llamafactory
PIP=".venv-llamafactory/bin/pip install --disable-pip-version-check"
echo "== torch $TORCH_VERSION, torchaudio $TORCHAUDIO_VERSION, torchvision $TORCHVISION_VERSION"
$PIP "torch==$TORCH_VERSION" "torchaudio==$TORCHAUDIO_VERSION" "torchvision==$TORCHVISION_VERSION"
echo "== llamafactory $LLAMAFACTORY_VERSION (torch held at $TORCH_VERSION)"
printf 'torch==%s\ntorchaudio==%s\ntorchvision==%s\n' "$TORCH_VERSION" "$TORCHAUDIO_VERSION" "$TORCHVISION_VERSION" > .venv-llamafactory/constraints.txt
$PIP -c .venv-llamafactory/constraints.txt "llamafactory==$LLAMAFACTORY_VERSION" pytest jsonschema tensorboard
# The runtime itself is imported from the checkout (PYTHONPATH=runtime), never installed here.
.venv-llamafactory/bin/python -c 'import torchaudio, llamafactory, transformers, torch; print("llamafactory", llamafactory.__version__, "transformers", transformers.__version__, "torch", torch.__version__)'
echo "$PINS" > .venv-llamafactory/.batchscope-stamp
