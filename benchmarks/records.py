"""What the cross-validation benchmarks write: per-row fold summaries and the run record beside the tables."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

from ravdess_emotion.training.reports import package_versions

FOLD_METRICS = ("accuracy", "uar", "macro_f1")


def fold_summary(folds: pd.DataFrame) -> dict[str, str]:
    """Each metric of a fold table as ``"mean ± std"`` over the folds (sample std, 3 decimals)."""
    return {m: f"{folds[m].mean():.3f} ± {folds[m].std(ddof=1):.3f}" for m in FOLD_METRICS}


def write_record(
    path: Path,
    module: str,
    argv: list[str] | None,
    fold_test_actors: dict[str, object],
    results: list[dict[str, object]],
    **more: object,
) -> Path:
    """``path``: the command line that ran ``module``, the test actors of every fold, package versions, results."""
    record = {
        "command": " ".join(["python", "-m", module, *(argv if argv is not None else sys.argv[1:])]),
        "fold_test_actors": fold_test_actors,
        "versions": package_versions(),
        "results": results,
        **more,
    }
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path
