#!/usr/bin/env bash
# Lint, format check, the import layers (lint-imports), then the test suite on every core. Sets up .venv on first use.
set -euo pipefail
cd "$(dirname "$0")"
bash setup.sh
export KERAS_BACKEND=${KERAS_BACKEND:-tensorflow} TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
# glibc hands freed heap memory back to the kernel after every TensorFlow step and faults it in again:
# keeping it (trim threshold 2 GiB, 256 MiB top pad) cut a demo training's system time from 42 s to 9 s
# and its wall time by 18% (docs/measurements.md). Other allocators ignore these.
export MALLOC_TRIM_THRESHOLD_=${MALLOC_TRIM_THRESHOLD_:-2147483648} MALLOC_TOP_PAD_=${MALLOC_TOP_PAD_:-268435456}
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports
# One worker per core (pytest-xdist), at most 4; a module's tests stay on one worker, so its
# fixtures are built once, and modules are handed out in the order tests/conftest.py sorts
# them (slow first). Pass -n 0 to run in this process (pdb, one test).
.venv/bin/python -m pytest -n auto --maxprocesses 4 --dist loadscope --no-loadscope-reorder "$@"
