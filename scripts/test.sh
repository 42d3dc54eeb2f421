#!/usr/bin/env bash
# The whole test suite: installs missing system packages, builds, runs every test target.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/system-deps.sh
source scripts/pg-test-cluster.sh
nightjar_check_swift
nightjar_install_system_deps "${NIGHTJAR_TEST_APT_PACKAGES[@]}"

# A throwaway PostgreSQL cluster for the integration tests, removed on exit.
nightjar_pg_start
trap nightjar_pg_stop EXIT
export NIGHTJAR_REQUIRE_PG=1

# The CLI tests run the real binary: build it first.
swift build 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
swift build >/dev/null

set +e
swift test 2>&1 | tee .build/test-output.log | grep -vE '^\[[0-9]+/[0-9]+\]|passed after|started\.$'
status=${PIPESTATUS[0]}
set -e

# One plain closing line: "N passed, N failed".
summary=$(grep -E 'Test run with [0-9]+ tests? .*(passed|failed)' .build/test-output.log | tail -1 || true)
total=$(echo "$summary" | sed -nE 's/.*Test run with ([0-9]+) tests?.*/\1/p')

failed_tests=$(grep -cE '^✘ Test .* failed after' .build/test-output.log || true)
if [ -z "$total" ]; then
    echo "error: no test summary found" >&2
    exit 1
fi
echo "$((total - failed_tests)) passed, ${failed_tests} failed"
exit "$status"
