#!/usr/bin/env bash
# What `make arm64` needs on a Debian 12 x86-64 machine: Debian's aarch64 cross toolchain, qemu-user (the tests
# run under it), and the :arm64 multiarch -dev packages of the libraries modewise links. Idempotent.
#   scripts/install-deps-arm64.sh DIR
# ONNX: libonnx-dev:arm64 cannot be installed beside libonnx-dev:amd64 (libonnxifi:arm64 and :amd64 both ship
# /usr/lib/libonnxifi.so), so its packages are unpacked (apt-get download + dpkg -x) into DIR, a private prefix that
# `make arm64` hands to CMake as ONNX_DIR. The system's package database is not touched by that step.
set -euo pipefail
prefix="${1:?usage: scripts/install-deps-arm64.sh DIR (where to unpack the arm64 ONNX packages)}"

# shellcheck disable=SC1091
. /etc/os-release 2>/dev/null || true
if [ "${ID:-} ${VERSION_ID:-}" != "debian 12" ] || [ "$(dpkg --print-architecture)" != "amd64" ]; then
  echo "modewise: make arm64 cross-builds on Debian 12 amd64 (this is ${ID:-?} ${VERSION_ID:-?} $(dpkg --print-architecture));" \
       "on a Jetson, build natively: make test" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "modewise: need root or sudo to install the arm64 toolchain" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
packages=(crossbuild-essential-arm64 qemu-user libfmt-dev:arm64 libsqlite3-dev:arm64 libgtest-dev:arm64
          libgmock-dev:arm64 libprotobuf-dev:arm64)
missing=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "modewise: installing the aarch64 cross toolchain and libraries: ${missing[*]}" >&2
  dpkg --print-foreign-architectures | grep -qx arm64 || $SUDO dpkg --add-architecture arm64
  $SUDO apt-get update -qq
  # Multi-Arch: same pairs must have equal versions, so amd64 libraries may be upgraded along with their :arm64 twins.
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

stamp="$prefix/.unpacked"
onnx_pkgs=(libonnx-dev:arm64 libonnx1:arm64 libonnxifi:arm64)
want="$(for p in "${onnx_pkgs[@]}"; do apt-cache policy "$p" | awk -v p="$p" '/Candidate:/ {print p "=" $2}'; done)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "modewise: unpacking ${onnx_pkgs[*]} into $prefix" >&2
rm -rf "$prefix"
mkdir -p "$prefix"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"  # apt-get download runs as the _apt user where it can
(cd "$tmp" && apt-get download -qq "${onnx_pkgs[@]}" 2>&1 | grep -v "unsandboxed" >&2 || true)
debs=("$tmp"/*.deb)
[ ${#debs[@]} -eq ${#onnx_pkgs[@]} ] && [ -f "${debs[0]}" ] || { echo "modewise: could not download ${onnx_pkgs[*]}" >&2; exit 1; }
for d in "${debs[@]}"; do dpkg -x "$d" "$prefix"; done
echo "$want" >"$stamp"
