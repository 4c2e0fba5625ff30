# Sourced by the container lane's scripts: podman with the lane's own settings, names and caches.
# CONTAINERS_CONF replaces the machine's containers.conf for our podman calls only.
LANE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LANE_DIR/../.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$LANE_DIR/containers.conf}
CONTAINER_CACHE=${BATCHSCOPE_CONTAINER_CACHE:-$HOME/.cache/batchscope-container}
# The image tag is a hash of everything that shapes the image: rebuilding happens exactly when one changes.
IMAGE_KEY=$(cat "$LANE_DIR/build-image.sh" "$LANE_DIR/image-setup.sh" "$REPO/runtime/requirements-torch113.txt" | sha256sum | cut -c1-12)
IMAGE=localhost/batchscope-lane:$IMAGE_KEY
lane_log() { echo "[container] $*" >&2; }
