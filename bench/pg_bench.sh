#!/usr/bin/env bash
# PostgreSQL → Nightjar → PostgreSQL on N rows, next to psql \copy of the same rows (the wire's
# physical limit) — on a throwaway local cluster.
#   bench/pg_bench.sh [ROWS]        churn table and model (default 1,000,000 rows)
#   MODEL=bench/data/xgb.json CSV=bench/data/e2e_1m.csv KEY=id bench/pg_bench.sh
#                                   any CSV (key column as text, every other column double precision)
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
psql -q "$NIGHTJAR_PG_DSN" <<SQL
CREATE TABLE churn_input ($COLUMNS);
\copy churn_input FROM '$WORK/in.csv' (FORMAT csv, HEADER true)
ANALYZE churn_input;
SQL
cat > "$WORK/job.yaml" <<YAML
name: pg-bench
model: $(cd "$(dirname "$MODEL")" && pwd)/$(basename "$MODEL")
source: { postgres: { dsn_env: NIGHTJAR_PG_DSN, query: "SELECT * FROM churn_input", key: $KEY } }
key: $KEY
chunk_rows: 50000
sink: { postgres: { dsn_env: NIGHTJAR_PG_DSN, table: churn_scores } }
YAML
t0=$(date +%s.%N)
psql -q "$NIGHTJAR_PG_DSN" -c "\\copy (SELECT * FROM churn_input ORDER BY $KEY) TO '$WORK/out.csv' (FORMAT csv)"
t1=$(date +%s.%N)
psql -q "$NIGHTJAR_PG_DSN" -c "CREATE TABLE copy_in (LIKE churn_input)" -c "\\copy copy_in FROM '$WORK/out.csv' (FORMAT csv)"
t2=$(date +%s.%N)
/usr/bin/time -v "$BIN" run "$WORK/job.yaml" --date 2026-11-28 --quiet 2> "$WORK/time.txt" || { grep -v "^\s" "$WORK/time.txt" >&2; exit 1; }
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
