#!/usr/bin/env bash
# Installs the Debian packages modewise needs, only those missing. Idempotent; quiet when all are present.
set -euo pipefail
required=(cmake make g++ pkg-config libeigen3-dev libcli11-dev libfmt-dev nlohmann-json3-dev libsqlite3-dev
          libonnx-dev libprotobuf-dev protobuf-compiler libgtest-dev libgmock-dev libbenchmark-dev)
missing=()
for p in "${required[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Optional: headless Chromium, with which the tests render the HTML report (tests/cli/test_cli_report.cpp skips
# without it). A large download, so only in CI (CI=true) or when asked: `make test WITH_CHROMIUM=1`.
optional=(chromium)
if [ "${CI:-}" = "true" ] || [ "${WITH_CHROMIUM:-0}" = "1" ]; then
  for p in "${optional[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
[ ${#missing[@]} -eq 0 ] && exit 0
echo "modewise: installing Debian packages: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "modewise: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
