#!/usr/bin/env bash
# The LLaMA-Factory lane's venv (.venv-llamafactory, or $BATCHSCOPE_LF_VENV), for the `llamafactory`
# engine tests (scripts/test-llamafactory.sh) and bench/train. Idempotent: a stamp holds the key below.
#
# It is an overlay on the main .venv (bash scripts/setup.sh makes that): a .pth file puts .venv's
# site-packages *after* this venv's own, so torch and the rest come from .venv (no second 4 GB torch),
# while the few packages LLaMA-Factory pins below .venv's versions (transformers, datasets, peft,
# accelerate, trl and what they pull: huggingface_hub, tokenizers, fsspec…) are installed here and
# shadow .venv's. LLaMA-Factory itself goes in with --no-deps: its other requirements are the web UI,
# API server and multimodal extras (gradio, fastapi, modelscope, torchvision, torchdata…), which
# `llamafactory-cli train` on text data never imports, and which would drag in another torch.
#
# Wheels are kept in ${PIP_CACHE_DIR:-~/.cache/pip}/batchscope-llamafactory/KEY (pip's cache folder, so
# caching ~/.cache/pip in CI covers it) with the lock the resolution made: a warm set-up installs from
# there with --no-index and no resolving. (pip's own HTTP cache is not enough: behind some proxies it
# stores nothing.) KEY hashes the pins below, the interpreter and .venv's torch. What the overlay needs
# also depends on .venv's other versions, which float: after a warm install `pip check` says whether
# the cached lock still fits them; if not, it is resolved again. The venv's stamp also hashes
# `pip freeze` of .venv, so any change there rebuilds the (cheap) overlay.
# Exit status: 0 ready; 3 cannot be set up here (no package index and no cached wheels); else a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${BATCHSCOPE_LF_VENV:-.venv-llamafactory}
MAIN=.venv
LLAMAFACTORY_VERSION=0.9.5
# LLaMA-Factory 0.9.5's own bounds (its Requires-Dist), each at the newest version they allow; .venv
# has newer ones (transformers 5.24 and datasets 5.2 are outside llamafactory 0.9.5's range).
OVERLAY="transformers==5.6.0 datasets==4.0.0 peft==0.18.1 accelerate==1.11.0 trl==0.24.0 omegaconf==2.4.0 matplotlib==3.11.2"
# torchaudio: imported at module level by llamafactory.data.mm_plugin (audio inputs only). Its newest
# release is 2.11.0; with --no-deps it does not pull torch 2.11 in beside .venv's torch.
NO_DEPS="llamafactory==$LLAMAFACTORY_VERSION torchaudio==2.11.0"
# LLaMA-Factory's requirements left out on purpose (see above); `pip check` may name them.
LEFT_OUT="av|einops|fastapi|fire|gradio|hf-transfer|modelscope|scipy|sentencepiece|sse-starlette|tiktoken|torchdata|torchvision|tyro|uvicorn"

[ -x "$MAIN/bin/python" ] || { echo "setup-llamafactory: no $MAIN; run bash scripts/setup.sh first" >&2; exit 1; }
TORCH=$("$MAIN/bin/python" -c 'from importlib.metadata import version; print(version("torch"))')
KEY=$(echo "$OVERLAY $NO_DEPS $("$MAIN/bin/python" -VV) torch==$TORCH" | sha256sum | cut -c1-16)
STAMP=$KEY-$("$MAIN/bin/python" -m pip freeze --disable-pip-version-check | sha256sum | cut -c1-16)
if [ -f "$VENV/.batchscope-stamp" ] && [ "$(cat "$VENV/.batchscope-stamp")" = "$STAMP" ]; then
  echo "== $VENV is up to date (llamafactory $LLAMAFACTORY_VERSION over $MAIN, $STAMP)"
  exit 0
fi

start=$SECONDS
CACHE=${PIP_CACHE_DIR:-$HOME/.cache/pip}/batchscope-llamafactory
WHEELS=$CACHE/$KEY
PY="$VENV/bin/python"
MAIN_SITE=$("$MAIN/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
PIP="$PY -m pip --disable-pip-version-check"

new_venv() {
  rm -rf "$VENV" # from scratch: leftovers (another lock, or an older full venv) would shadow .venv
  local base
  base=$("$MAIN/bin/python" -c 'import sys; print(getattr(sys, "_base_executable", sys.executable))')
  # --without-pip: pip, like everything else not installed here, is .venv's (through the .pth below).
  "$base" -m venv --without-pip "$VENV"
  SITE=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  # Relative (site.py resolves .pth lines against the .pth's folder), so the checkout can move.
  "$PY" -c 'import os, sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$MAIN_SITE" "$SITE" \
    > "$SITE/zz-batchscope-main-venv.pth"
}

resolve() {
  echo "== resolving the overlay against $MAIN"
  rm -rf "$WHEELS" && mkdir -p "$WHEELS"
  # The first download tells "no package index here" (exit 3: the lane reports its tests as skipped)
  # apart from a real failure later on (exit 1).
  $PIP download --quiet --no-deps -d "$WHEELS" "llamafactory==$LLAMAFACTORY_VERSION" || {
    echo "setup-llamafactory: cannot download llamafactory==$LLAMAFACTORY_VERSION (no package index?)" \
      "and no usable wheels in $WHEELS" >&2
    exit 3
  }
  echo "torch==${TORCH%%+*}" > "$WHEELS/constraints.txt" # never a second torch
  # pip sees .venv's packages through the .pth: the report lists only what is missing or out of range.
  $PIP install --quiet --dry-run --report "$WHEELS/report.json" -c "$WHEELS/constraints.txt" $OVERLAY
  "$PY" -c '
import json, sys
report = json.load(open(sys.argv[1]))
pins = ["%s==%s" % (i["metadata"]["name"], i["metadata"]["version"]) for i in report["install"]]
print("\n".join(sorted(set(pins + sys.argv[2:]), key=str.lower)))' "$WHEELS/report.json" $NO_DEPS > "$WHEELS/lock.txt"
  echo "== downloading $(wc -l < "$WHEELS/lock.txt") wheels to $WHEELS"
  $PIP download --quiet --no-deps --only-binary=:all: -d "$WHEELS" -r "$WHEELS/lock.txt"
  touch "$WHEELS/.complete"
  find "$CACHE" -mindepth 1 -maxdepth 1 -type d ! -name "$KEY" -exec rm -rf {} + # other keys' wheels
  echo "   ($((SECONDS - start)) s)"
}

install_lock() {
  echo "== installing $(wc -l < "$WHEELS/lock.txt") packages into $VENV (offline)"
  # --no-compile: byte-compiling all of transformers costs more than the few modules a run imports.
  $PIP install --quiet --no-compile --no-deps --no-index --find-links "$WHEELS" -r "$WHEELS/lock.txt"
  echo "   ($((SECONDS - start)) s)"
}

# What the overlay's own packages require that neither it nor .venv provides (.venv's own packages are
# .venv's lane's business), less LLaMA-Factory's left-out extras.
conflicts() {
  local names
  names=$(sed 's/==.*//' "$WHEELS/lock.txt" | tr 'A-Z_' 'a-z-' | paste -sd'|')
  { $PIP check 2>&1 || true; } | grep -iE "^($names) " |
    grep -vE "^llamafactory [^ ]+ requires ($LEFT_OUT), which is not installed" || true
}

new_venv
if [ -f "$WHEELS/.complete" ]; then
  echo "== wheels cached in $WHEELS"
  install_lock
  bad=$(conflicts)
  if [ -n "$bad" ]; then
    echo "== the cached lock no longer fits $MAIN:"
    echo "$bad"
    new_venv
    resolve
    install_lock
  fi
else
  resolve
  install_lock
fi
bad=$(conflicts)
[ -z "$bad" ] || { echo "setup-llamafactory: unmet requirements in $VENV:" >&2; echo "$bad" >&2; exit 1; }

# torchaudio checks that it was built for the same CUDA minor as torch and refuses to import otherwise
# (2.11.0 is built for CUDA 13.0; .venv's torch may be built for 13.2). Its kernels serve audio
# decoding and alignment only, which text fine-tuning never calls; LLaMA-Factory only needs the import
# to succeed. So when the two differ, the compiled kernels are left out: torchaudio's own loader then
# runs without them (as it does when packaged without its libraries), its Python API intact. (Read
# from the version files: importing torch twice costs more than the rest of a warm set-up.)
ta_cuda=$(sed -nE "s/^__version__ = '[^']*\+cu([0-9]+)'.*/\1/p" "$SITE/torchaudio/version.py")
torch_cuda=$(sed -nE "s/^cuda\b.*'([0-9]+)\.([0-9]+)'.*/\1\2/p" "$MAIN_SITE/torch/version.py")
if [ -n "$ta_cuda" ] && [ -n "$torch_cuda" ] && [ "${ta_cuda}" != "${torch_cuda}" ]; then
  echo "== torchaudio's kernels are built for CUDA $ta_cuda, $MAIN's torch for CUDA $torch_cuda: leaving them out"
  rm -f "$SITE"/torchaudio/lib/*.so
fi
"$PY" -c 'import llamafactory, torchaudio, transformers, datasets, peft, trl, torch
print("llamafactory", llamafactory.__version__, "transformers", transformers.__version__, "datasets",
      datasets.__version__, "peft", peft.__version__, "trl", trl.__version__, "torch", torch.__version__)'
echo "$STAMP" > "$VENV/.batchscope-stamp"
echo "== $VENV ready in $((SECONDS - start)) s"
