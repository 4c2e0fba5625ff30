#!/bin/sh
# Build step 1, run INSIDE the freshly imported Debian rootfs: the system packages.
# Python 3.11 + Debian's CPU torch 1.13 (apt: no 2 GB CUDA wheels), sshd/ssh/socat for the SSH-remote
# and port-forwarding scenarios, and the shared libraries of code-server's native modules
# (code-server itself is bind-mounted from the host's e2e cache, not installed here).
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  python3 python3-venv python3-torch ca-certificates \
  openssh-server openssh-client socat procps libgssapi-krb5-2 libstdc++6 >/dev/null
apt-get clean
rm -rf /var/lib/apt/lists/*
mkdir -p /run/sshd /root/.ssh && chmod 700 /root/.ssh
