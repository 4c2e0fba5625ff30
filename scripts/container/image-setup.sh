#!/bin/sh
# Runs INSIDE the freshly imported Debian rootfs (podman run), as the image's one build step.
# Python 3.11 + Debian's CPU torch 1.13 (apt: no 2 GB CUDA wheels) + the pinned stack that works with
# it (runtime/requirements-torch113.txt, the project's oldest supported stack) in /opt/venv;
# sshd/ssh/socat for the SSH-remote and port-forwarding scenarios; the shared libraries code-server's
# native modules link against (it is bind-mounted from the host's e2e cache, not installed here).
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  python3 python3-venv python3-torch ca-certificates \
  openssh-server openssh-client socat procps libgssapi-krb5-2 libstdc++6 >/dev/null
python3 -m venv --system-site-packages /opt/venv
/opt/venv/bin/pip install --quiet --no-cache-dir --disable-pip-version-check -r /tmp/requirements.txt
/opt/venv/bin/python -c "import torch, transformers, datasets; print('image python:', torch.__version__, transformers.__version__, datasets.__version__)"
apt-get clean
rm -rf /var/lib/apt/lists/* /root/.cache
# sshd for the SSH-remote scenario: keys made at start-up by the test, root login by key only.
mkdir -p /run/sshd /root/.ssh && chmod 700 /root/.ssh
