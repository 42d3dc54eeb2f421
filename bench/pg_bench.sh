#!/usr/bin/env bash
# PostgreSQL → Nightjar → PostgreSQL on N rows of the churn table, next to psql \copy of the same
# rows (the wire's physical limit) — on a throwaway local cluster.
#   bench/pg_bench.sh [ROWS]        (default 1,000,000)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
source scripts/system-deps.sh
source scripts/pg-test-cluster.sh
nightjar_install_system_deps
swift build -c release --product nightjar >/dev/null
BIN="$(swift build -c release --show-bin-path)/nightjar"
nightjar_pg_start
trap nightjar_pg_stop EXIT
export NIGHTJAR_PG_DSN="$NIGHTJAR_TEST_PG_DSN"
WORK=$(mktemp -d)
python3 fixtures/make_big_csv.py "$ROWS" "$WORK/in.csv" >/dev/null
psql -q "$NIGHTJAR_PG_DSN" <<SQL
CREATE TABLE churn_input (customer_id text PRIMARY KEY, age double precision, income double precision, tenure_months double precision,
  balance double precision, num_products double precision, last_login_days double precision, has_card double precision, region text, plan text);
\copy churn_input FROM '$WORK/in.csv' (FORMAT csv, HEADER true)
ANALYZE churn_input;
SQL
cat > "$WORK/job.yaml" <<YAML
name: pg-bench
model: $(pwd)/fixtures/churn/churn_xgb.json
source: { postgres: { dsn_env: NIGHTJAR_PG_DSN, query: "SELECT * FROM churn_input", key: customer_id } }
key: customer_id
chunk_rows: 50000
sink: { postgres: { dsn_env: NIGHTJAR_PG_DSN, table: churn_scores } }
YAML
t0=$(date +%s.%N)
psql -q "$NIGHTJAR_PG_DSN" -c "\\copy (SELECT * FROM churn_input ORDER BY customer_id) TO '$WORK/out.csv' (FORMAT csv)"
t1=$(date +%s.%N)
psql -q "$NIGHTJAR_PG_DSN" -c "CREATE TABLE copy_in (LIKE churn_input)" -c "\\copy copy_in FROM '$WORK/out.csv' (FORMAT csv)"
t2=$(date +%s.%N)
/usr/bin/time -v "$BIN" run "$WORK/job.yaml" --date 2026-11-28 --quiet 2> "$WORK/time.txt"
t3=$(date +%s.%N)
rss=$(grep "Maximum resident" "$WORK/time.txt" | awk '{print $6}')
python3 - "$ROWS" "$t0" "$t1" "$t2" "$t3" "$rss" <<'PY'
import sys
rows, t0, t1, t2, t3, rss = int(sys.argv[1]), *map(float, sys.argv[2:6]), int(sys.argv[6])
print(f"rows: {rows:,}")
print(f"psql \\copy out (ordered by key): {t1-t0:6.2f} s  {rows/(t1-t0):>10,.0f} rows/s")
print(f"psql \\copy in:                   {t2-t1:6.2f} s  {rows/(t2-t1):>10,.0f} rows/s")
print(f"nightjar run PG -> PG:            {t3-t2:6.2f} s  {rows/(t3-t2):>10,.0f} rows/s  (peak RSS {rss/1024:.0f} MB)")
PY
[ -n "${KEEP:-}" ] && echo "kept $WORK" || rm -rf "$WORK"
