#!/usr/bin/env bash
# PostgreSQL → Nightjar → PostgreSQL on N rows, next to psql \copy of the same ordered rows out of
# the same server (the wire's limit), on a throwaway local cluster of its own with durable
# settings (fsync, synchronous_commit and full_page_writes on: the test cluster's fsync=off would
# flatter every write). The job uses a PostgreSQL run store and replace_partition, and runs twice
# for the same date (the second run replaces the partition, as a nightly rerun does).
#   bench/pg_bench.sh [ROWS]        churn table and model (default 1,000,000 rows)
#   MODEL=bench/data/xgb.json CSV=bench/data/e2e_1m.csv KEY=id bench/pg_bench.sh
#                                   any CSV (key column as text, every other column double precision)
#   SCRATCH=.build-x bench/pg_bench.sh   build in another scratch directory
# Prints rows/s and the ratio to psql \copy out, peak RSS, text vs binary COPY out, the publish
# time (DETACH + ATTACH, from the server's log) next to the old DELETE + INSERT … SELECT of the same
# rows, and bytes per output row in the partitioned layout next to the old one (lineage as text on
# every row, plus its logical_date index).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
SCRATCH=${SCRATCH:-.build}
source scripts/system-deps.sh
source scripts/pg-test-cluster.sh
nightjar_install_system_deps
swift build -c release --scratch-path "$SCRATCH" --product nightjar >/dev/null
BIN="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/nightjar"

# The bench's own cluster: durable settings, every statement's duration logged with its time and backend.
bindir=$(nightjar_pg_bindir) || { nightjar_pg_start >/dev/null 2>&1; nightjar_pg_stop; bindir=$(nightjar_pg_bindir); }
PGDIR=$(mktemp -d /tmp/nightjar-pgbench.XXXXXX)
run=()
if [ "$(id -u)" -eq 0 ]; then chown postgres "$PGDIR"; run=(runuser -u postgres --); fi
port=$(( 55000 + RANDOM % 5000 ))
"${run[@]}" "$bindir/initdb" -D "$PGDIR/data" -U nightjar --auth=trust -E UTF8 >/dev/null
"${run[@]}" "$bindir/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -o "-p $port -k $PGDIR -c listen_addresses='' \
    -c fsync=on -c synchronous_commit=on -c full_page_writes=on -c shared_buffers=256MB -c max_wal_size=4GB \
    -c log_min_duration_statement=0 -c log_line_prefix='%m %p '" start >/dev/null
stop_cluster() { "${run[@]}" "$bindir/pg_ctl" -D "$PGDIR/data" -m fast stop >/dev/null 2>&1 || true; [ -n "${KEEP:-}" ] || rm -rf "$PGDIR"; }
trap stop_cluster EXIT
export NIGHTJAR_PG_DSN="host=$PGDIR port=$port user=nightjar dbname=postgres"
echo "fsync: $(psql -XAtq "$NIGHTJAR_PG_DSN" -c 'SHOW fsync'), synchronous_commit: $(psql -XAtq "$NIGHTJAR_PG_DSN" -c 'SHOW synchronous_commit')"

WORK=$(mktemp -d)
MODEL=${MODEL:-$(pwd)/fixtures/churn/churn_xgb.json}
KEY=${KEY:-customer_id}
if [ -n "${CSV:-}" ]; then
    cp "$CSV" "$WORK/in.csv"
    ROWS=$(( $(wc -l < "$WORK/in.csv") - 1 ))
    COLUMNS=$(head -1 "$WORK/in.csv" | tr ',' '\n' | awk -v key="$KEY" '{ printf "%s%s %s", (NR>1?", ":""), $1, ($1==key ? "text PRIMARY KEY" : "double precision") }')
else
    python3 fixtures/make_big_csv.py "$ROWS" "$WORK/in.csv" >/dev/null
    COLUMNS="customer_id text PRIMARY KEY, age double precision, income double precision, tenure_months double precision, balance double precision, num_products double precision, last_login_days double precision, has_card double precision, region text, plan text"
fi
psql -Xq "$NIGHTJAR_PG_DSN" <<SQL
CREATE TABLE churn_input ($COLUMNS);
\copy churn_input FROM '$WORK/in.csv' (FORMAT csv, HEADER true)
VACUUM ANALYZE churn_input;
SQL
cat > "$WORK/job.yaml" <<YAML
name: pg-bench
model: $(cd "$(dirname "$MODEL")" && pwd)/$(basename "$MODEL")
source: { postgres: { dsn_env: NIGHTJAR_PG_DSN, query: "SELECT * FROM churn_input", key: $KEY } }
key: $KEY
chunk_rows: 50000
sink: { postgres: { dsn_env: NIGHTJAR_PG_DSN, table: public.churn_scores } }
write_mode: replace_partition
state: { postgres: { dsn_env: NIGHTJAR_PG_DSN } }
YAML
now() { date +%s.%N; }
# COPY out in both formats, to /dev/null (the server's and the wire's share, nothing else).
t_text0=$(now); psql -Xq "$NIGHTJAR_PG_DSN" -c "\\copy (SELECT * FROM churn_input ORDER BY $KEY) TO '/dev/null'"; t_text1=$(now)
t_bin0=$(now); psql -Xq "$NIGHTJAR_PG_DSN" -c "\\copy (SELECT * FROM churn_input ORDER BY $KEY) TO '/dev/null' (FORMAT binary)"; t_bin1=$(now)
# The reference: psql \copy of the same ordered rows out to a file, and back in.
# The reference is the median of three (these machines are noisy): t1 - t0 is set to it.
ref=()
for i in 1 2 3; do
    a=$(now)
    psql -Xq "$NIGHTJAR_PG_DSN" -c "\\copy (SELECT * FROM churn_input ORDER BY $KEY) TO '$WORK/out.csv' (FORMAT csv)"
    b=$(now)
    ref+=("$(echo "$b - $a" | bc)")
done
median=$(printf '%s\n' "${ref[@]}" | sort -n | sed -n 2p)
t1=$(now)
t0=$(echo "$t1 - $median" | bc)
psql -Xq "$NIGHTJAR_PG_DSN" -c "CREATE TABLE copy_in (LIKE churn_input)" -c "\\copy copy_in FROM '$WORK/out.csv' (FORMAT csv)"
t2=$(now)
/usr/bin/time -v "$BIN" run "$WORK/job.yaml" --date 2026-11-28 --quiet 2> "$WORK/time1.txt" || { grep -v "^\s" "$WORK/time1.txt" >&2; exit 1; }
t3=$(now)
/usr/bin/time -v "$BIN" run "$WORK/job.yaml" --date 2026-11-28 --quiet --restart 2> "$WORK/time2.txt" || { grep -v "^\s" "$WORK/time2.txt" >&2; exit 1; }
t4=$(now)
/usr/bin/time -v "$BIN" run "$WORK/job.yaml" --date 2026-11-29 --quiet 2> "$WORK/time3.txt" || { grep -v "^\s" "$WORK/time3.txt" >&2; exit 1; }
t4b=$(now)
rss3=$(grep "Maximum resident" "$WORK/time3.txt" | awk '{print $6}')
rss1=$(grep "Maximum resident" "$WORK/time1.txt" | awk '{print $6}')
rss2=$(grep "Maximum resident" "$WORK/time2.txt" | awk '{print $6}')

# Bytes per output row: a date's partition (lineage is one row per run in nightjar.lineage)...
new_bytes=$(psql -XAtq "$NIGHTJAR_PG_DSN" -c "SELECT (sum(pg_total_relation_size(inhrelid)) / count(*))::bigint FROM pg_inherits WHERE inhparent = 'nightjar.\"rows__public.churn_scores\"'::regclass")
# ...and the same rows in the old layout (lineage as text on every row, logical_date index), then
# the old publish of them: DELETE the date + INSERT … SELECT from a staging table, one transaction.
psql -Xq "$NIGHTJAR_PG_DSN" <<'SQL'
CREATE TABLE old_layout AS SELECT * FROM churn_scores WHERE logical_date = '2026-11-28';
CREATE INDEX old_layout_logical_date_idx ON old_layout (logical_date);
CREATE TABLE old_staging AS SELECT * FROM churn_scores WHERE logical_date = '2026-11-28';
VACUUM ANALYZE old_layout, old_staging;
CHECKPOINT;
SQL
old_bytes=$(psql -XAtq "$NIGHTJAR_PG_DSN" -c "SELECT pg_total_relation_size('old_layout')")
t5=$(now)
psql -Xq "$NIGHTJAR_PG_DSN" -c "BEGIN" -c "DELETE FROM old_layout WHERE logical_date = '2026-11-28'" -c "INSERT INTO old_layout SELECT * FROM old_staging" -c "COMMIT"
t6=$(now)
out_rows=$(psql -XAtq "$NIGHTJAR_PG_DSN" -c "SELECT count(*) FROM churn_scores WHERE logical_date = '2026-11-28'")

python3 - "$ROWS" "$t_text0" "$t_text1" "$t_bin0" "$t_bin1" "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" "$t6" "$rss1" "$rss2" "$new_bytes" "$old_bytes" "$out_rows" "$PGDIR/log" "$t4b" "$rss3" <<'PY'
import re, sys
from datetime import datetime
a = sys.argv[1:]
rows = int(a[0])
tt0, tt1, tb0, tb1, t0, t1, t2, t3, t4, t5, t6 = map(float, a[1:12])
rss1, rss2, new_bytes, old_bytes, out_rows, log = int(a[12]), int(a[13]), int(a[14]), int(a[15]), int(a[16]), a[17]
t4b, rss3 = float(a[18]), int(a[19])
assert out_rows == rows, f"the output has {out_rows} rows for the date, expected {rows}"
# Publish transactions in the server log: the BEGIN … COMMIT of each backend that holds an ATTACH PARTITION of a run's table.
line = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) \S+ (\d+) LOG:  duration: ([\d.]+) ms  (?:statement|execute [^:]*): (.*)")
begun, publishes = {}, []
with open(log, errors="replace") as f:
    for l in f:
        m = line.match(l)
        if not m: continue
        ts = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
        pid, ms, sql = m.group(2), float(m.group(3)), m.group(4)
        if sql.startswith("BEGIN"): begun[pid] = (ts - ms / 1000, False)
        elif pid in begun and "ATTACH PARTITION" in sql and "nightjar_staging" not in sql and "RENAME" not in sql:
            begun[pid] = (begun[pid][0], True)
        elif sql.startswith("COMMIT") and pid in begun:
            start, attach = begun.pop(pid)
            if attach: publishes.append(ts - start)
ref = rows / (t1 - t0)
def rate(label, s, extra=""):
    print(f"{label:<44}{s:7.2f} s {rows / s:>11,.0f} rows/s{extra}")
print(f"rows: {rows:,}")
rate("psql \\copy out, text, to /dev/null:", tt1 - tt0)
rate("psql \\copy out, binary, to /dev/null:", tb1 - tb0)
rate("psql \\copy out (ordered by key) to CSV:", t1 - t0, "  (the reference, median of 3)")
rate("psql \\copy in:", t2 - t1)
rate("nightjar run PG -> PG (first run):", t3 - t2, f"  {rows / (t3 - t2) / ref:.2f}x psql \\copy out, peak RSS {rss1 / 1024:.0f} MB (creates the output and run store)")
rate("nightjar run PG -> PG (rerun, replaces):", t4 - t3, f"  {rows / (t4 - t3) / ref:.2f}x psql \\copy out, peak RSS {rss2 / 1024:.0f} MB")
rate("nightjar run PG -> PG (next date):", t4b - t4, f"  {rows / (t4b - t4) / ref:.2f}x psql \\copy out, peak RSS {rss3 / 1024:.0f} MB")
print(f"publish, partition attached (server log):   " + ", ".join(f"{s * 1000:.1f} ms" for s in publishes))
print(f"publish, old DELETE + INSERT ... SELECT:    {(t6 - t5) * 1000:.0f} ms")
print(f"bytes per output row: partitioned {new_bytes / rows:.1f} (view over rows + nightjar.lineage), old layout {old_bytes / rows:.1f}")
ok = min(rows / (t4 - t3), rows / (t4b - t4)) / ref >= 0.6 and max(rss1, rss2, rss3) < 256 * 1024
print("goal (rerun and next date >= 0.6x psql \\copy out, peak RSS < 256 MB):", "met" if ok else "NOT met")
PY
[ -n "${KEEP:-}" ] && echo "kept $WORK and $PGDIR" || rm -rf "$WORK"
