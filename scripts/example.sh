#!/usr/bin/env bash
# The main example: builds Nightjar (release) and runs the nightly churn job (jobs/churn-nightly.yaml)
# for one logical date (default: yesterday; pass YYYY-MM-DD to choose) into out/churn.db.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/system-deps.sh
nightjar_check_swift
nightjar_install_system_deps

echo "building nightjar (release)..." >&2
swift build -c release --product nightjar 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' >&2 || { echo "error: build failed" >&2; exit 1; }
BIN="$(swift build -c release --show-bin-path)/nightjar"

mkdir -p out
# The example nightly job, on the embedded SQLite default: scores the churn customers for
# yesterday's logical date into out/churn.db (table churn_nightly), recording the run.
# (`yesterday` is the calendar day before today in the job's time zone: the rule `nightjar run`
# without --date and the scheduler follow.)
DATE="${1:-yesterday}"
# The job reads churn@champion from the registry models/ (bundles committed in the repository);
# the alias lives in the run store, so a fresh checkout points it at version 1 once.
"$BIN" models promote churn 1 --alias champion --if-unset --job jobs/churn-nightly.yaml
"$BIN" run jobs/churn-nightly.yaml --date "$DATE"

echo
echo "runs so far (nightjar runs --job jobs/churn-nightly.yaml):"
"$BIN" runs --job jobs/churn-nightly.yaml --limit 5

echo
echo "models (nightjar models list --job jobs/churn-nightly.yaml):"
"$BIN" models list --job jobs/churn-nightly.yaml

echo
echo "first rows (SELECT * FROM churn_nightly LIMIT 3):"
if command -v sqlite3 >/dev/null 2>&1; then
    sqlite3 -header -column out/churn.db "SELECT customer_id, probability, label, logical_date, run_id, model_name, model_version FROM churn_nightly WHERE logical_date = '$DATE' LIMIT 3"
else
    python3 - "$DATE" <<'PY'
import sqlite3, sys
con = sqlite3.connect("out/churn.db")
cur = con.execute("SELECT customer_id, probability, label, logical_date, run_id, model_name, model_version FROM churn_nightly WHERE logical_date = ? LIMIT 3", (sys.argv[1],))
print("  ".join(d[0] for d in cur.description))
for row in cur:
    print("  ".join(str(v) for v in row))
PY
fi
