#!/usr/bin/env bash
# The main example: builds Nightjar (release) and scores the churn fixture into out/churn.db.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/system-deps.sh
nightjar_check_swift
nightjar_install_system_deps

echo "building nightjar (release)..." >&2
swift build -c release --product nightjar 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' >&2 || { echo "error: build failed" >&2; exit 1; }
BIN="$(swift build -c release --show-bin-path)/nightjar"

mkdir -p out
"$BIN" score \
    --model fixtures/churn/churn_xgb.json \
    --input fixtures/churn/score_input.csv \
    --output out/churn.db --table churn_scores \
    --key customer_id

echo
echo "first rows (sqlite3 out/churn.db 'SELECT * FROM churn_scores LIMIT 5'):"
if command -v sqlite3 >/dev/null 2>&1; then
    sqlite3 -header -column out/churn.db 'SELECT * FROM churn_scores LIMIT 5'
else
    python3 - <<'PY'
import sqlite3
con = sqlite3.connect("out/churn.db")
cur = con.execute("SELECT * FROM churn_scores LIMIT 5")
print("  ".join(d[0] for d in cur.description))
for row in cur:
    print("  ".join(str(v) for v in row))
PY
fi
