#!/usr/bin/env bash
# Sets up what is missing, builds, checks formatting, runs every test (unit, property,
# integration) and then the smoke suite of scenarios. Extra arguments go to ctest, e.g.
# `scripts/test.sh -L unit` or `-R record_log` (the smoke suite is then skipped).
set -euo pipefail
cd "$(dirname "$0")/.."
# Headless Chromium for the report browser test: installed when possible, skipped if not.
export FAULTLINE_WITH_BROWSER="${FAULTLINE_WITH_BROWSER:-1}"
build_dir=$(bash scripts/build.sh | tail -n 1)
bash scripts/check-format.sh
preset=$(basename "$build_dir")
ctest --preset "$preset" --timeout 900 "$@"
if [[ $# -eq 0 ]]; then
  store=$(mktemp -d "${TMPDIR:-/tmp}/faultline-smoke-XXXXXX")
  echo "smoke suite: scenarios/smoke.json (store: $store)"
  "$build_dir/bin/faultline" suite scenarios/smoke.json --store "$store" --junit "$store/junit.xml"
  rm -rf "$store"
fi
