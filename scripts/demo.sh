#!/usr/bin/env bash
# Sets up what is missing, builds, and runs Faultline's main job.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=$(bash scripts/build.sh | tail -n 1)
bin="$build_dir/bin"
"$bin/faultline" --version
"$bin/faultline" --help
echo
echo "demo: built into $bin (the delivery-semantics comparison arrives with the harness)"
