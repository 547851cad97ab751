#!/usr/bin/env bash
# The soak (docs/detection.md, "Zero false alarms"): seeded runs of the fault-free and smoke
# scenarios in every mode, counting verdicts other than expected. Options:
#   --runs N       runs per mode to reach (default 100)
#   --minutes M    time budget (default 120); the run going at the deadline finishes
#   --seed S       base seed (default: from the clock; printed); round i uses S + i
#   --load N       N busy processes beside the runs, for the whole soak
#   --suite FILE   the scenarios (default scenarios/soak.json)
#   --store DIR    where the runs go (default: a new directory in /tmp)
#   --binary PATH  faultline (default build/release/bin/faultline)
# Exit status: 0 every counted run as expected, 1 some were not, 2 a set-up error.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 scripts/soak.py "$@"
