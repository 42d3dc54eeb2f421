#!/usr/bin/env bash
# Builds the libFuzzer targets (AddressSanitizer, coverage feedback) and runs each for a set number
# of executions on a copy of its seed corpus (fuzz/corpus/<target>/, kept unchanged).
#
#   fuzz/run.sh [EXECUTIONS]          # default 1000000 executions per target
#   FUZZ_TARGETS="csv job" fuzz/run.sh 10000
#
# Prints, per target: executions, seconds, executions per second and crashes found. Exits non-zero
# when any target crashed, leaked, ran out of memory or timed out; the input that did it is left in
# fuzz/findings/ (replay it with: fuzz/.build/release/fuzz-<target> fuzz/findings/<file>).
set -euo pipefail
cd "$(dirname "$0")"
runs=${1:-1000000}
targets=(${FUZZ_TARGETS:-csv xgboost lightgbm onnx job})

swift build -c release \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -g \
    -Xswiftc -enable-testing 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]|Cannot export local symbol' || true
# The same command again: its status, without the output piped away above.
swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -g -Xswiftc -enable-testing >/dev/null
bin=$(swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -g -Xswiftc -enable-testing --show-bin-path)

mkdir -p findings .work
export NIGHTJAR_FUZZ_TMP=${NIGHTJAR_FUZZ_TMP:-$(mktemp -d)}
# Swift's own crash backtracer would catch a trap before libFuzzer does (and trips AddressSanitizer
# reading the crashed process's memory): off, so that libFuzzer reports the trap and saves the input.
export SWIFT_BACKTRACE=enable=no
# Leaks are findings; a report names the allocation's stack.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
failed=0
printf '%-9s %12s %9s %9s %8s\n' target executions seconds 'exec/s' crashes
for t in "${targets[@]}"; do
    [ -d "corpus/$t" ] || { echo "error: no corpus/$t" >&2; exit 64; }
    work=".work/$t"
    rm -rf "$work" && mkdir -p "$work" && cp corpus/"$t"/* "$work"/
    log=".work/$t.log"
    touch "$log.start"
    start=$(date +%s.%N)
    set +e
    "$bin/fuzz-$t" "$work" -runs="$runs" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="findings/$t-" >"$log" 2>&1
    status=$?
    set -e
    end=$(date +%s.%N)
    secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
    execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)
    execs=${execs:-0}
    # Inputs written by this run (crash-, leak-, timeout-, oom-…); libFuzzer stops at the first.
    crashes=$(find findings -name "$t-*" -newer "$log.start" | wc -l)
    if [ "$status" -ne 0 ]; then
        failed=1
        [ "$crashes" -gt 0 ] || crashes=1
    fi
    printf '%-9s %12s %9s %9s %8s\n' "$t" "$execs" "$secs" "$(awk -v n="$execs" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')" "$crashes"
    if [ "$status" -ne 0 ]; then
        echo "  $t: libFuzzer exited $status; log: fuzz/$log" >&2
        grep -E '^==[0-9]+==ERROR|SUMMARY:|Fatal error|Test unit written to|ALARM|out-of-memory|Direct leak' "$log" | head -8 | sed 's/^/  /' >&2
    fi
done
rm -rf "$NIGHTJAR_FUZZ_TMP"
exit "$failed"
