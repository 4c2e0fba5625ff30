#!/usr/bin/env bash
# The container lane (scripts/container/lane.mjs): the packaged VSIX in a podman container brought up
# from docs/devcontainer.json, driven from Chromium on this machine. Writes
# test-output/container.junit.xml and screenshots in test-output/container/. Where podman cannot run
# a container (not installed, no root, nested sandbox) it prints why, records one skipped test in the
# junit file and exits 0. Arguments: scenario files (default: test/container/*.test.ts).
# Env: BATCHSCOPE_SKIP_CONTAINER=1 skips; BATCHSCOPE_CONTAINER_NO_CLI=1 brings the container up with
# podman alone instead of @devcontainers/cli; BATCHSCOPE_CONTAINER_CACHE (default ~/.cache/batchscope-container).
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-output
if ! command -v podman >/dev/null && [ "$(id -u)" = 0 ] && [ "${BATCHSCOPE_CONTAINER_APT:-1}" = 1 ] && command -v apt-get >/dev/null; then
  # CI runs as root on Debian: install the engine once (runc: crun refuses hybrid cgroups).
  echo "[container] apt-get install podman runc debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap >/dev/null 2>&1 ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap >/dev/null 2>&1; } ||
    echo "[container] could not install podman"
fi
exec node scripts/container/lane.mjs "$@"
