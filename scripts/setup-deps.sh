#!/usr/bin/env bash
# Installs the Debian packages Faultline builds and tests with. Idempotent: silent when every
# package is already there. Needs root (or passwordless sudo) only when something is missing.
set -euo pipefail

packages=(
  g++ cmake ninja-build clang-format
  librocksdb-dev nlohmann-json3-dev librapidcheck-dev
  libboost-dev libboost-filesystem-dev libgtest-dev libbenchmark-dev
)
# Optional extras, installed when asked: a browser for the report tests.
if [[ "${FAULTLINE_WITH_BROWSER:-0}" == 1 ]]; then packages+=(chromium); fi

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
