#!/usr/bin/env bash
# A nightly CSV -> SQLite job next to `nightjar score` of the same rows (see bench/job_bench.py).
#   bench/job_bench.sh [--rows N] [--rounds R] [--threads T] [--baseline OLD_NIGHTJAR]
# PostgreSQL -> PostgreSQL next to psql \copy: bench/pg_bench.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/venv.sh
swift build -c release --product nightjar >/dev/null
exec "$venv/bin/python" bench/job_bench.py "$@"
