#!/usr/bin/env bash
# Idempotent set-up of .venv-torch113: Debian 12's python3-torch 1.13.1 (CPU, apt) for /usr/bin/python3,
# plus the newest transformers/datasets/... that still work with it (runtime/requirements-torch113.txt).
# Re-runs skip what is already there (the stamp holds the hash of the requirements file).
# Needs root (or sudo) for apt-get; Debian 12 / Python 3.11 only.
set -euo pipefail
cd "$(dirname "$0")/.."

# peft goes in with --no-deps: Debian's torch reports 1.13.0a0, a pre-release below peft's torch>=1.13.0,
# so pip would replace it with a 2 GB torch 2.x. Its own dependencies are pinned in the requirements file.
PEFT="peft==0.13.2"
stamp() { { cat "$1"; echo "$PEFT"; } | sha256sum | cut -c1-16; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

if ! /usr/bin/python3 -c "import torch" >/dev/null 2>&1; then
  echo "== apt-get install python3-torch"
  export DEBIAN_FRONTEND=noninteractive
  # Recommends (libtorch-dev, build-essential, ...) are only for building extensions: skip them.
  if ! $SUDO apt-get install -y -qq --no-install-recommends python3-torch >/dev/null; then
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends python3-torch >/dev/null
  fi
fi

if [ ! -x .venv-torch113/bin/python ]; then
  echo "== python venv (.venv-torch113, --system-site-packages for the apt torch)"
  /usr/bin/python3 -m venv --system-site-packages .venv-torch113
fi
if [ ! -f .venv-torch113/.batchscope-stamp ] || [ "$(cat .venv-torch113/.batchscope-stamp)" != "$(stamp runtime/requirements-torch113.txt)" ]; then
  echo "== pip install -r runtime/requirements-torch113.txt"
  .venv-torch113/bin/pip install --quiet --disable-pip-version-check -r runtime/requirements-torch113.txt
  echo "== pip install --no-deps $PEFT"
  .venv-torch113/bin/pip install --quiet --disable-pip-version-check --no-deps "$PEFT"
  stamp runtime/requirements-torch113.txt > .venv-torch113/.batchscope-stamp
fi
.venv-torch113/bin/python -c "import torch, transformers, accelerate, peft; assert torch.__version__.startswith('1.13'), torch.__version__"
