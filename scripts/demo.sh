#!/usr/bin/env bash
# Sets up what is missing, builds, and runs Faultline's main job: one seeded schedule of worker
# kills and a partition under at-most-once, at-least-once and exactly-once, side by side.
# Prints the comparison table and where the report is.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=$(bash scripts/build.sh | tail -n 1)
bin="$build_dir/bin"
"$bin/faultline" --version
set +e
"$bin/faultline" run scenarios/semantics.json --store store
status=$?
set -e
run=$(readlink -f store/latest || true)
if [[ -z "$run" || ! -d "$run" ]]; then
  echo "demo: the run left no store/latest (see the errors above)" >&2
  exit "$status"
fi
echo
echo "== modes compared (scenarios/semantics.json) =="
"$bin/faultline" report "$run" | sed -n '/^mode /,$p' || true
echo "demo: report:  $run/report.html  (each mode's own: $run/<mode>/report.html)"
echo "demo: runs:    $run (history.jsonl, results.json, nodes/)"
echo "demo: re-check one with: $bin/faultline check store/latest/exactly-once"
exit $status
