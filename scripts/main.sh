#!/usr/bin/env bash
# The main job: set up, build the VSIX, print where it is; with code-server available, open the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent package
echo "VSIX: $PWD/dist-vsix/batchscope.vsix"
