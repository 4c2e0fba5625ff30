# Sourced by the container lane's scripts: podman with the lane's own settings, names and caches.
# CONTAINERS_CONF replaces the machine's containers.conf for our podman calls only.
LANE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LANE_DIR/../.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$LANE_DIR/containers.conf}
CONTAINER_CACHE=${BATCHSCOPE_CONTAINER_CACHE:-$HOME/.cache/batchscope-container}
# Image tags are hashes of what shapes each layer, so a layer is rebuilt exactly when one changes:
# the system layer (debootstrap + apt, the slow part) and the Python layer on top of it.
# The system layer is debootstrap of DEBIAN_SUITE plus image-apt.sh: bump BASE_RECIPE when the
# debootstrap step in build-image.sh changes (editing the rest of that script rebuilds nothing).
DEBIAN_SUITE=bookworm
BASE_RECIPE="debootstrap --variant=minbase $DEBIAN_SUITE, v1"
BASE_KEY=$( (echo "$BASE_RECIPE"; cat "$LANE_DIR/image-apt.sh") | sha256sum | cut -c1-12)
IMAGE_KEY=$( (echo "$BASE_KEY"; cat "$LANE_DIR/image-pip.sh" "$REPO/runtime/requirements-torch113.txt") | sha256sum | cut -c1-12)
BASE_IMAGE=localhost/batchscope-lane-base:$BASE_KEY
IMAGE=localhost/batchscope-lane:$IMAGE_KEY
lane_log() { echo "[container] $*" >&2; }
