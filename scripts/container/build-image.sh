#!/usr/bin/env bash
# The container lane's image, built on this machine with no image registry, in two layers:
#   system: debootstrap (Debian 12 minbase) → podman import → image-apt.sh inside it → commit;
#   python: image-pip.sh (the pinned stack in /opt/venv) on top → commit.
# Each layer is tagged with a hash of its inputs (env.sh). The finished image is cached in the podman
# store (instant) and as a tarball in ~/.cache/batchscope-container (podman load, ~1 min; the folder
# CI caches between runs). A change to the requirements rebuilds only the python layer while the
# system layer is still in the store. Prints the image name as its last stdout line.
set -euo pipefail
source "$(dirname "$0")/env.sh"
TAR="$CONTAINER_CACHE/image-$IMAGE_KEY.tar"

if podman image exists "$IMAGE"; then echo "$IMAGE"; exit 0; fi
mkdir -p "$CONTAINER_CACHE"
if [ -f "$TAR" ]; then
  lane_log "podman load $TAR"
  podman load -q -i "$TAR" >&2
  echo "$IMAGE"; exit 0
fi

WORK=$(mktemp -d "$CONTAINER_CACHE/build-XXXXXX")
STEP="bs-build-$IMAGE_KEY"
trap 'rm -rf "$WORK"; podman rm -f "$STEP" >/dev/null 2>&1 || true' EXIT
cp "$LANE_DIR/image-apt.sh" "$LANE_DIR/image-pip.sh" "$WORK/"
cp "$REPO/runtime/requirements-torch113.txt" "$WORK/requirements.txt"
# The host's CA bundle, for apt/pip behind a TLS-inspecting proxy (on a plain CI host: the usual bundle).
STEP_ARGS=(-v "$WORK:/tmp/build:ro" -v /etc/ssl/certs/ca-certificates.crt:/tmp/host-ca.crt:ro
  -e PIP_CERT=/tmp/host-ca.crt -e PIP_FIND_LINKS= -e PIP_DEFAULT_TIMEOUT=180)
t0=$(date +%s)

if ! podman image exists "$BASE_IMAGE"; then
  command -v debootstrap >/dev/null || { lane_log "debootstrap is not installed (apt-get install debootstrap)"; exit 1; }
  lane_log "debootstrap --variant=minbase $DEBIAN_SUITE (rootfs)"
  debootstrap --variant=minbase "$DEBIAN_SUITE" "$WORK/rootfs" "${BATCHSCOPE_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$WORK/debootstrap.log" 2>&1 ||
    { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }
  tar -C "$WORK/rootfs" -c . | podman import -q - "$BASE_IMAGE-rootfs" >/dev/null
  rm -rf "$WORK/rootfs"
  lane_log "rootfs imported after $(( $(date +%s) - t0 )) s; apt-get install python3-torch, sshd, socat"
  podman run --name "$STEP" "${STEP_ARGS[@]}" "$BASE_IMAGE-rootfs" sh /tmp/build/image-apt.sh >&2
  podman commit -q "$STEP" "$BASE_IMAGE" >/dev/null
  podman rm -f "$STEP" >/dev/null
  podman rmi -f "$BASE_IMAGE-rootfs" >/dev/null 2>&1 || true
  lane_log "system layer $BASE_IMAGE after $(( $(date +%s) - t0 )) s"
fi

lane_log "python layer (pinned stack in /opt/venv)"
podman run --name "$STEP" "${STEP_ARGS[@]}" "$BASE_IMAGE" sh /tmp/build/image-pip.sh >&2
podman commit -q --change 'ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["sleep", "infinity"]' "$STEP" "$IMAGE" >/dev/null
lane_log "image $IMAGE built in $(( $(date +%s) - t0 )) s; saving $TAR"
podman save -q -o "$TAR.part" "$IMAGE" && mv "$TAR.part" "$TAR"
# Older images of the lane are dead weight: keep only this key's tarball and tag (the system layer stays).
find "$CONTAINER_CACHE" -maxdepth 1 -name 'image-*.tar' ! -name "image-$IMAGE_KEY.tar" -delete
for old in $(podman images --format '{{.Repository}}:{{.Tag}}' | grep '^localhost/batchscope-lane:' | grep -v ":$IMAGE_KEY\$"); do
  podman rmi "$old" >/dev/null 2>&1 || true   # refused while a container still uses it: fine
done
lane_log "image ready after $(( $(date +%s) - t0 )) s"
echo "$IMAGE"
