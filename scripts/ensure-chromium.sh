#!/usr/bin/env bash
# Chromium for every test that drives a page headless: the TypeScript lane's webview tests
# (test/template/webview.test.ts, test/panels/dataset/webviewHarness.ts) and the e2e and container
# lanes. Debian's package, through apt-get, when /usr/bin/chromium is missing (a fresh machine):
# without it those webview tests would only be skipped.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
echo "[ensure-chromium] apt-get install chromium" >&2
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >&2
