#!/usr/bin/env bash
# The whole test suite under a sanitizer: AddressSanitizer (with LeakSanitizer) or ThreadSanitizer.
# Builds everything — the library, the tests and the `nightjar` binary the CLI tests run — with the
# sanitizer into its own build directory (.build-address/, .build-thread/), starts the throwaway
# PostgreSQL cluster as scripts/test.sh does, and runs every test target.
#
#   ./scripts/sanitize.sh address     # ~2 min build + ~4 min tests on 2 cores (README: "Fuzzing and sanitizers")
#   ./scripts/sanitize.sh thread      # ~2 min build + ~7 min tests
#
# A report gives the process that made it exit status 86 (AddressSanitizer stops at once;
# ThreadSanitizer carries on and lists every race first): in the test process that fails the run;
# in a `nightjar` child the CLI tests see the status and the report on its stderr and fail
# (Tests/NightjarCLITests/SanitizerReport.swift). Reports that come from system
# or third-party libraries, not from Nightjar, are suppressed narrowly in scripts/sanitizers/,
# each line with the reason. Too slow for CI: not part of scripts/test.sh or .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
case "$mode" in
    address|thread) ;;
    *) echo "usage: scripts/sanitize.sh address|thread" >&2; exit 64 ;;
esac

source scripts/system-deps.sh
source scripts/pg-test-cluster.sh
nightjar_check_swift
nightjar_install_system_deps "${NIGHTJAR_TEST_APT_PACKAGES[@]}"

scratch=".build-$mode"
supp="$PWD/scripts/sanitizers"
# Inherited by every child: the `nightjar` processes the CLI tests start get the same options.
case "$mode" in
    address)
        export ASAN_OPTIONS="halt_on_error=1:exitcode=86:detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
        export LSAN_OPTIONS="exitcode=86:suppressions=$supp/lsan.supp:print_suppressions=0"
        ;;
    thread)
        # Not halt_on_error: a race is reported and the process goes on, so one run lists every race
        # (not only the first); a process that reported one still exits 86 at its end.
        export TSAN_OPTIONS="halt_on_error=0:exitcode=86:second_deadlock_stack=1:suppressions=$supp/tsan.supp:print_suppressions=0"
        ;;
esac
# Swift's crash backtracer off: a sanitizer's report is the one to read.
export SWIFT_BACKTRACE=enable=no
# Tells the tests which sanitizer the binaries were built with (SanitizerBuildTests checks `nightjar`).
export NIGHTJAR_SANITIZER=$mode

start=$(date +%s)
echo "building with -sanitize=$mode into $scratch/" >&2
swift build --build-tests --sanitize="$mode" --scratch-path "$scratch" 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
swift build --build-tests --sanitize="$mode" --scratch-path "$scratch" >/dev/null
built=$(date +%s)

nightjar_pg_start
trap nightjar_pg_stop EXIT
export NIGHTJAR_REQUIRE_PG=1

log="$scratch/sanitize-$mode.log"
set +e
swift test --skip-build --sanitize="$mode" --scratch-path "$scratch" 2>&1 | tee "$log" | grep -vE '^\[[0-9]+/[0-9]+\]|passed after|started\.$'
status=${PIPESTATUS[0]}
set -e
end=$(date +%s)

summary=$(grep -E 'Test run with [0-9]+ tests? .*(passed|failed)' "$log" | tail -1 || true)
total=$(echo "$summary" | sed -nE 's/.*Test run with ([0-9]+) tests?.*/\1/p')
failed_tests=$(grep -E '^✘ Test .* failed after' "$log" | grep -cv '^✘ Test run with' || true)
reports=$(grep -cE '^(==[0-9]+==ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer)' "$log" || true)
echo "sanitizer: $mode; build $((built - start)) s, tests $((end - built)) s"
if [ -z "$total" ]; then
    echo "error: no test summary found (a sanitizer report stops the test process: see $log)" >&2
    exit 1
fi
echo "$((total - failed_tests)) passed, ${failed_tests} failed, ${reports} sanitizer reports in the test process"
[ "$reports" -eq 0 ] || status=1
exit "$status"
