#!/usr/bin/env bash
# Sets up what is missing, builds, and runs Faultline's main job: one seeded schedule of worker
# kills under at-most-once, at-least-once and exactly-once, side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=$(bash scripts/build.sh | tail -n 1)
bin="$build_dir/bin"
"$bin/faultline" --version
set +e
"$bin/faultline" run scenarios/semantics.json --store store
status=$?
set -e
echo
echo "demo: the runs are in $(readlink -f store/latest) (history.jsonl, results.json, nodes/)"
echo "demo: re-check one with: $bin/faultline check store/latest/exactly-once"
exit $status
