#!/bin/sh
# Build step 2, run inside the step-1 image: the pinned Python stack that works with torch 1.13
# (runtime/requirements-torch113.txt, the project's oldest supported stack) in /opt/venv.
set -eu
python3 -m venv --system-site-packages /opt/venv
/opt/venv/bin/pip install --quiet --no-cache-dir --disable-pip-version-check -r /tmp/build/requirements.txt
# The transformers engine needs accelerate >= 0.26 (Trainer) and peft >= 0.10 (LoRA), which the doctor
# checks. Where the requirements file does not pin them yet: the last lines that still take torch 1.13.
/opt/venv/bin/python -c "import accelerate" 2>/dev/null ||
  /opt/venv/bin/pip install --quiet --no-cache-dir --disable-pip-version-check "accelerate==0.34.2"
# --no-deps: peft asks for torch>=1.13.0, and Debian's build calls itself 1.13.0a0 (a pre-release), so
# pip would fetch a 2 GB torch 2.x from PyPI; its other dependencies are small and listed here.
/opt/venv/bin/python -c "import peft" 2>/dev/null || {
  /opt/venv/bin/pip install --quiet --no-cache-dir --disable-pip-version-check --no-deps "peft==0.13.2"
  /opt/venv/bin/pip install --quiet --no-cache-dir --disable-pip-version-check psutil tqdm packaging
}
/opt/venv/bin/python -c "import torch, transformers, datasets, accelerate, peft; print('image python:', torch.__version__, transformers.__version__, datasets.__version__, accelerate.__version__, peft.__version__)"
rm -rf /root/.cache
