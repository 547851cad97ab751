#!/usr/bin/env bash
# Installs the Debian packages Faultline builds and tests with. Idempotent: silent when every
# package is already there. Needs root (or passwordless sudo) only when something is missing.
set -euo pipefail

packages=(
  g++ cmake ninja-build clang-format
  librocksdb-dev nlohmann-json3-dev librapidcheck-dev
  libboost-dev libboost-filesystem-dev libgtest-dev libbenchmark-dev
  mosquitto libmosquitto-dev python3 fuse3 libfuse3-dev
)
# Best effort, when asked (scripts/test.sh asks by default): headless Chromium for the report
# browser test, which skips itself without it. Failing to install it never fails this script.
install_browser() {
  [[ "${FAULTLINE_WITH_BROWSER:-0}" == 1 ]] || return 0
  command -v chromium >/dev/null 2>&1 && return 0
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      echo "setup-deps: chromium is missing and cannot be installed without root;" \
        "the report browser test will be skipped" >&2
      return 0
    fi
  fi
  echo "setup-deps: installing chromium (best effort, for the report browser test)" >&2
  if ! DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq chromium \
    >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq chromium >/dev/null 2>&1 ||
      echo "setup-deps: could not install chromium; the report browser test will be skipped" >&2
  fi
  return 0
}
trap install_browser EXIT

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "setup-deps: these Debian packages are missing: ${missing[*]}" >&2
  echo "setup-deps: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "setup-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >/dev/null
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-deps: done" >&2
