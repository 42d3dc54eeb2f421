#!/usr/bin/env bash
# Nightjar side by side with XGBoost, LightGBM, ONNX Runtime (and, opt-in, Treelite/TL2cgen and
# lleaves) on the same models, rows and thread counts. Prints one table.
#
#   bench/run.sh                 # default run: a few minutes after the first (training) run
#   bench/run.sh --treelite      # + Treelite + TL2cgen compiled C (minutes to compile)
#   bench/run.sh --lleaves       # + lleaves (about 16 minutes and > 5.7 GB of memory to compile)
#   bench/run.sh --contributions-only   # exact contributions against pred_contribs / pred_contrib / shap
#   bench/run.sh --threads 1,2 --repeat 5 --no-e2e   # any other option goes to bench/bench.py
#
# Makes a virtual environment with pinned versions (bench/.venv, or $NIGHTJAR_BENCH_VENV), builds
# Nightjar in release mode, and keeps generated data, models and compiled libraries in bench/data/.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/venv.sh
for arg in "$@"; do
    case "$arg" in
        --treelite) "$venv/bin/pip" install -q -r bench/requirements-treelite.txt ;;
        --lleaves) "$venv/bin/pip" install -q -r bench/requirements-lleaves.txt ;;
        --contributions|--contributions-only) "$venv/bin/pip" install -q -r bench/requirements-shap.txt ;;
    esac
done
swift build -c release >/dev/null
exec "$venv/bin/python" bench/bench.py "$@"
