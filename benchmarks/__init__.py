"""Benchmarks: heavy, measured experiments, run from the repository root as ``python -m benchmarks.<name>``."""
