#!/usr/bin/env bash
# Sets up what is missing, builds, checks formatting and runs every test (unit, property,
# integration). Extra arguments go to ctest, e.g. `scripts/test.sh -L unit` or `-R record_log`.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=$(bash scripts/build.sh | tail -n 1)
bash scripts/check-format.sh
preset=$(basename "$build_dir")
ctest --preset "$preset" --timeout 900 "$@"
