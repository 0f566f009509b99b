#!/usr/bin/env bash
# Set up mlnb and run the main job: the churn-course tutorial.
#   bash scripts/tutorial.sh             open notebooks/04-churn-course.ipynb in JupyterLab
#   bash scripts/tutorial.sh --headless  execute it without a browser, then show where the runs went
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'

NOTEBOOK=notebooks/04-churn-course.ipynb
if [ "${1:-}" = "--headless" ]; then
    mkdir -p build/tutorial
    .venv/bin/jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=300 \
        --output-dir build/tutorial "$NOTEBOOK"
    echo
    echo "executed notebook: build/tutorial/$(basename "$NOTEBOOK")"
    (cd notebooks && ../.venv/bin/mlnb runs ls --experiment churn-course)
    (cd notebooks && ../.venv/bin/mlnb models ls || true)
    (cd notebooks && ../.venv/bin/python -c "import mlnb; print('runs are in', mlnb.get_store().location.uri)")
else
    ROOT_ARGS=()
    [ "$(id -u)" = 0 ] && ROOT_ARGS=(--allow-root)
    exec .venv/bin/jupyter lab "${ROOT_ARGS[@]}" --ip=127.0.0.1 "$NOTEBOOK"
fi
