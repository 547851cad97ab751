#!/usr/bin/env bash
# The mutation self-test (docs/detection.md): plants each bug of tests/mutants/ in a copy of
# the source, builds it and runs the suite's runtime scenarios against it. Options:
#   --suite FILE   the suite that judges (default scenarios/full.json; smoke's scenarios first)
#   --only LIST    mutants by name or number, comma-separated
#   --first        stop each mutant at its first catch
#   --work DIR     where the copy, build and runs go (default: a new directory in /tmp)
#   --no-doc       leave docs/detection.md alone
# Exit status: 0 every mutant caught, 1 some missed, 2 a patch that no longer applies, a build
# that fails or another set-up error.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 scripts/mutants.py "$@"
