#!/usr/bin/env bash
# Sets up dependencies, then configures and builds one CMake preset (default: release; `ci`
# when $CI is set, which adds -Werror). Prints the build directory on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${FAULTLINE_PRESET:-}"
if [[ -z "$preset" ]]; then
  if [[ -n "${CI:-}" ]]; then preset=ci; else preset=release; fi
fi
bash scripts/setup-deps.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j 2 >&2
echo "build/$preset"
