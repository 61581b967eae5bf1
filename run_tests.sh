#!/usr/bin/env bash
# Lint, format check, the import layers (lint-imports), then the test suite. Sets up .venv on first use.
set -euo pipefail
cd "$(dirname "$0")"
bash setup.sh
export KERAS_BACKEND=${KERAS_BACKEND:-tensorflow} TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports
.venv/bin/python -m pytest "$@"
