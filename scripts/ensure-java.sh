#!/usr/bin/env bash
# Spark (tests/test_backends.py) needs a Java runtime: install Debian's when none is on PATH.
set -euo pipefail
if command -v java >/dev/null 2>&1 || [ -n "${JAVA_HOME:-}" ]; then
    exit 0
fi
echo "ensure-java: installing Debian's default-jre-headless for Spark" >&2
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq default-jre-headless >/dev/null
