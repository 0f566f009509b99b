#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh machine, then run every test.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's chromium drives the browser tests (no browser download works here)
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

# Node.js (>= 20.19, rspack's floor) builds the JupyterLab extension in labextension/ during the
# pip install below (hatch-jupyter-builder runs jlpm: ~45 s cold, ~20 s with a warm yarn cache)
if ! command -v node >/dev/null 2>&1; then
    echo "node is missing: install Node.js >= 20.19 to build labextension/" >&2
    exit 1
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'

echo "== ruff"
.venv/bin/ruff check mlnb tests benchmarks examples scripts
echo "== import contracts (layers, store backends, who may use sqlalchemy and the widget libraries)"
.venv/bin/lint-imports
echo "== mypy (strict on store, tracking, models, registry, errors, entities; 0 errors allowed)"
.venv/bin/mypy
echo "== pytest"
# unit, integration and browser tests (tests/test_architecture.py: no import cycles, no private
# imports, the store contract, the diagram in docs/architecture.md), then every tutorial notebook
.venv/bin/python -m pytest -p no:cacheprovider --nbval-lax --nbval-current-env \
    --ignore=tests/jupyter tests notebooks "$@"
echo "== pytest: server extension (jupyter_server's pytest plugin)"
.venv/bin/python -m pytest -p no:cacheprovider -p pytest_jupyter.jupyter_server tests/jupyter "$@"
