# Sourced by the bench scripts: the pinned virtual environment (bench/.venv, or
# $NIGHTJAR_BENCH_VENV) in $venv, created and brought up to bench/requirements.txt.
venv=${NIGHTJAR_BENCH_VENV:-bench/.venv}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q -r bench/requirements.txt
