#!/usr/bin/env bash
# Lint, format check, the import layers (lint-imports), then the test suite on every core. Sets up .venv on first use.
set -euo pipefail
cd "$(dirname "$0")"
bash setup.sh
export KERAS_BACKEND=${KERAS_BACKEND:-tensorflow} TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports
# One worker per core (pytest-xdist), at most 4; a module's tests stay on one worker, so its
# fixtures are built once, and modules are handed out in the order tests/conftest.py sorts
# them (slow first). Pass -n 0 to run in this process (pdb, one test).
.venv/bin/python -m pytest -n auto --maxprocesses 4 --dist loadscope --no-loadscope-reorder "$@"
