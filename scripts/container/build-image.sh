#!/usr/bin/env bash
# The container lane's image, built on this machine with no image registry:
#   debootstrap (Debian 12 minbase) → podman import → image-setup.sh inside it → podman commit.
# Cached twice, keyed by a hash of this script, image-setup.sh and the pinned requirements: in the
# podman store (instant), and as a tarball in ~/.cache/batchscope-container (podman load, ~1 min;
# the folder CI caches between runs). Prints the image name as its last stdout line.
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

command -v debootstrap >/dev/null || { lane_log "debootstrap is not installed (apt-get install debootstrap)"; exit 1; }
WORK=$(mktemp -d "$CONTAINER_CACHE/build-XXXXXX")
trap 'rm -rf "$WORK"; podman rm -f "bs-build-$IMAGE_KEY" >/dev/null 2>&1 || true' EXIT
t0=$(date +%s)
lane_log "debootstrap --variant=minbase bookworm (rootfs)"
debootstrap --variant=minbase bookworm "$WORK/rootfs" "${BATCHSCOPE_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$WORK/debootstrap.log" 2>&1 ||
  { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }
tar -C "$WORK/rootfs" -c . | podman import -q - "localhost/batchscope-lane-base:$IMAGE_KEY" >/dev/null
rm -rf "$WORK/rootfs"
lane_log "rootfs imported after $(( $(date +%s) - t0 )) s; installing python3-torch + pinned stack"
cp "$REPO/runtime/requirements-torch113.txt" "$WORK/requirements.txt"
cp "$LANE_DIR/image-setup.sh" "$WORK/image-setup.sh"
# The host's CA bundle, for pip behind a TLS-inspecting proxy (on a plain CI host it is the usual bundle).
podman run --name "bs-build-$IMAGE_KEY" -v "$WORK:/tmp/build:ro" \
  -v /etc/ssl/certs/ca-certificates.crt:/tmp/host-ca.crt:ro -e PIP_CERT=/tmp/host-ca.crt \
  -e PIP_FIND_LINKS= -e PIP_DEFAULT_TIMEOUT=180 \
  "localhost/batchscope-lane-base:$IMAGE_KEY" sh -c 'cp /tmp/build/requirements.txt /tmp/requirements.txt && sh /tmp/build/image-setup.sh' >&2
podman commit -q --change 'ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["sleep", "infinity"]' "bs-build-$IMAGE_KEY" "$IMAGE" >/dev/null
podman rmi -f "localhost/batchscope-lane-base:$IMAGE_KEY" >/dev/null 2>&1 || true
lane_log "image $IMAGE built in $(( $(date +%s) - t0 )) s; saving $TAR"
podman save -q -o "$TAR.part" "$IMAGE" && mv "$TAR.part" "$TAR"
# Older images of the lane are dead weight in the cache: keep only this key's tarball.
find "$CONTAINER_CACHE" -maxdepth 1 -name 'image-*.tar' ! -name "image-$IMAGE_KEY.tar" -delete
lane_log "image ready after $(( $(date +%s) - t0 )) s"
echo "$IMAGE"
