#!/usr/bin/env bash
# Installs the packages modewise needs, only those missing. Idempotent; quiet when all are present.
# Releases: Debian 12 (the development and CI machine), Ubuntu 22.04 (JetPack 6) and Ubuntu 24.04 (JetPack 7), read
# from /etc/os-release. The core packages are required; an optional component whose packages the release's archive
# does not have is left out and named (CMake then builds without it: MODEWISE_WITH_<NAME>=AUTO, see the configure
# summary). Extra package names given as arguments are required too (`make gcc11` passes g++-11).
# MODEWISE_DEPS_DRY_RUN=1 says what it would install and installs nothing; MODEWISE_OS_RELEASE=FILE reads another
# os-release file (for checking the release logic).
set -euo pipefail

# shellcheck disable=SC1091
. "${MODEWISE_OS_RELEASE:-/etc/os-release}" 2>/dev/null || { ID=unknown; VERSION_ID=unknown; }
release="${ID:-unknown} ${VERSION_ID:-unknown}"
case "$release" in
  "debian 12" | "ubuntu 22.04" | "ubuntu 24.04") ;;
  *) echo "modewise: note: $release is not a tested release (Debian 12, Ubuntu 22.04/JetPack 6, Ubuntu 24.04/JetPack 7); trying anyway" >&2 ;;
esac

required=(cmake make g++ pkg-config libeigen3-dev libcli11-dev libfmt-dev nlohmann-json3-dev libsqlite3-dev
          libgtest-dev libgmock-dev "$@")
# Optional components: "NAME|what it enables|packages". All packages of one component, or none.
optional=("ONNX|analyze, roofline --model, tune-inference|libonnx-dev libprotobuf-dev"
          "BENCHMARK|the benchmark suite (make bench)|libbenchmark-dev"
          "YAML|the Kubernetes manifest check in tests/cli/test_cli_fleet.cpp|python3-yaml"
          "PYTHON|the Python package (import modewise, docs/PYTHON.md) and its tests|python3-dev pybind11-dev python3-pybind11 python3-pytest python3-numpy python3-venv python3-setuptools python3-wheel")
# Slurm and munge: tests/cli/test_cli_fleet.cpp runs a real single-node Slurm cluster (scripts/slurm-test-cluster.sh;
# the test skips without them). Only in CI (CI=true) or when asked (WITH_SLURM=1): with systemd the packages also
# install services.
if [ "${CI:-}" = "true" ] || [ "${WITH_SLURM:-0}" = "1" ]; then
  optional+=("SLURM|the Slurm job-array test|slurmctld slurmd slurm-client munge")
fi
# Headless Chromium renders the HTML report in a test (tests/cli/test_cli_report.cpp skips without it). A large
# download, so only in CI (CI=true) or when asked: `make test WITH_CHROMIUM=1`. Ubuntu ships it only as a snap.
if [ "${CI:-}" = "true" ] || [ "${WITH_CHROMIUM:-0}" = "1" ]; then
  [ "${ID:-}" = "ubuntu" ] || optional+=("CHROMIUM|the HTML report rendering test|chromium")
fi

# PyTorch on the CPU (Debian's python3-torch): tests/cli/test_cli_pytorch.cpp trains examples/pytorch_train.py under
# `profile --device jetson` on a fake tree (the test skips without it). A large download (about 150 MB, 600 MB
# installed with its libraries: docs/HARDWARE.md), so only in CI (CI=true) or when asked: `make test WITH_TORCH=1`.
if [ "${CI:-}" = "true" ] || [ "${WITH_TORCH:-0}" = "1" ]; then
  optional+=("TORCH|the PyTorch training test|python3-torch")
fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}'; }
available() { local c; c="$(candidate "$1")"; [ -n "$c" ] && [ "$c" != "(none)" ]; }

missing=()
for p in "${required[@]}"; do installed "$p" || missing+=("$p"); done
wanted=()  # optional components with a missing package: decided below, once the package lists are known
for entry in "${optional[@]}"; do
  IFS='|' read -r _name _what pkgs <<<"$entry"
  for p in $pkgs; do installed "$p" || { wanted+=("$entry"); break; }; done
done
[ ${#missing[@]} -eq 0 ] && [ ${#wanted[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
  command -v sudo >/dev/null || SUDO="__none__"
fi
export DEBIAN_FRONTEND=noninteractive
# Package lists: read them (apt-get update) before deciding, unless apt already has them; without them every
# package not installed would look unavailable.
updated=0
if ! compgen -G "/var/lib/apt/lists/*_Packages*" >/dev/null && [ "$SUDO" != "__none__" ]; then
  $SUDO apt-get update -qq
  updated=1
fi
disabled=()
for entry in "${wanted[@]}"; do
  IFS='|' read -r name what pkgs <<<"$entry"
  lacking=()
  for p in $pkgs; do installed "$p" || available "$p" || lacking+=("$p"); done
  if [ ${#lacking[@]} -eq 0 ]; then
    for p in $pkgs; do installed "$p" || missing+=("$p"); done
  else
    disabled+=("$name ($what): $release has no ${lacking[*]}")
  fi
done
for d in "${disabled[@]}"; do echo "modewise: building without $d" >&2; done
[ ${#missing[@]} -eq 0 ] && exit 0
for p in "${missing[@]}"; do
  available "$p" || {
    echo "modewise: $release has no package '$p', which modewise needs (on Ubuntu, enable the universe component:" \
         "sudo add-apt-repository universe)" >&2
    exit 1
  }
done
echo "modewise: installing packages: ${missing[*]}" >&2
[ "${MODEWISE_DEPS_DRY_RUN:-0}" = "1" ] && exit 0
[ "$SUDO" = "__none__" ] && { echo "modewise: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
[ $updated -eq 1 ] || $SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
