#!/usr/bin/env bash
# The dashboard's browser tests (tests/test_browser.py) drive Debian's chromium through the playwright
# package (executable_path): install it when it is missing. Never `playwright install`.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
echo "ensure-chromium: installing Debian's chromium for the browser tests" >&2
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
