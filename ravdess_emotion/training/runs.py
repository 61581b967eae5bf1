"""Training runs, the Python API behind ``train_models.py``: hold-out training and actor cross-validation.

Each function takes a :class:`~ravdess_emotion.training.config.RunConfig` and returns
its results, so notebooks and ``benchmarks/`` call Python, not a command line::

    from ravdess_emotion.training.config import RunConfig
    from ravdess_emotion.training.runs import train

    results = train(RunConfig(data_dir="data/organized", models=("audio-speech",), preset="best", folds=5))
    results[0].folds          # one row per fold: test actors, accuracy, UAR, macro F1
    results[0].metrics        # mean over folds

Every split is actor-independent (``ravdess_emotion.training.splits``); a model trained
on a hold-out split is saved with its configuration (the run's, under ``run``, and the
model's own) in ``<name>.json`` beside ``<name>.h5`` and ``<name>.keras``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from ravdess_emotion.core.files import write_text_atomically
from ravdess_emotion.features.loader import RAVDESSDataLoader
from ravdess_emotion.training.config import RunConfig
from ravdess_emotion.training.distribute import data_parallel_devices
from ravdess_emotion.training.ensembles import fit_view_ensemble, load_members
from ravdess_emotion.training.fitting import FitResult, fit_and_evaluate
from ravdess_emotion.training.inputs import load_training_inputs, loader_for
from ravdess_emotion.training.recipes import ModelSpec
from ravdess_emotion.training.reports import data_label, package_versions, write_evaluation, write_summary
from ravdess_emotion.training.splits import ActorSplit, actor_folds, actor_ranges, actor_split

METRICS = ("accuracy", "uar", "macro_f1")


@dataclass
class ModelResult:
    """What training one model of a run measured, and where it went.

    Attributes
    ----------
    spec : ModelSpec
    protocol : str
        ``"holdout"`` or ``"K-fold actor cross-validation"``.
    metrics : dict
        Accuracy, UAR and macro F1: on the evaluation actors (hold-out), or the mean over folds.
    std : dict
        Standard deviation over folds (cross-validation; empty for hold-out).
    folds : pd.DataFrame or None
        Cross-validation: one row per fold (actors, samples, metrics, epochs run).
    fit : FitResult or None
        Hold-out: the trained model, its history and its predictions.
    saved : list of Path
        The model files written (hold-out only: cross-validation keeps none).
    summary : dict
        The row of ``reports/summary.csv``.
    seconds : float
    """

    spec: ModelSpec
    protocol: str
    metrics: dict[str, float]
    std: dict[str, float] = field(default_factory=dict)
    folds: pd.DataFrame | None = None
    fit: FitResult | None = None
    saved: list[Path] = field(default_factory=list)
    summary: dict[str, object] = field(default_factory=dict)
    seconds: float = 0.0


SplitFit = Callable[[ActorSplit, str, bool], FitResult]
"""Fits a model on a split: ``fit(split, tag, keep_model)``."""


def prepared_fit(
    spec: ModelSpec, loader: RAVDESSDataLoader, config: RunConfig
) -> tuple[pd.DataFrame, SplitFit]:
    """``(info, fit)``: a model's rows (one per recording or clip), and how it is fitted on one actor split.

    An ensemble of feature views (``--preset ensemble``: a recipe of member recipes) loads
    every member's data and fits with
    :func:`~ravdess_emotion.training.ensembles.fit_view_ensemble`; every other model with
    :func:`~ravdess_emotion.training.fitting.fit_and_evaluate`.
    """
    if spec.members:
        members, y, info = load_members(spec, config)

        def fit(split: ActorSplit, tag: str, keep_model: bool) -> FitResult:
            return fit_view_ensemble(spec, members, y, split, config, tag, loader.synthetic, keep_model)

        return info, fit
    X, y, info = load_training_inputs(loader, spec)

    def fit(split: ActorSplit, tag: str, keep_model: bool) -> FitResult:
        settings = loader.settings.to_dict()
        return fit_and_evaluate(spec, X, y, split, settings, config, tag, loader.synthetic, keep_model)

    return info, fit


def epochs_run(result: FitResult) -> int:
    """The epochs of the first fit; of an ensemble, its members' first fits together."""
    if "member_epochs" in result.config:  # also in an ensemble's evaluation read back after a kill
        return int(sum(result.config["member_epochs"].values()))
    return len(result.history["loss"])


def write_member_evaluations(
    result: FitResult, spec: ModelSpec, tag: str, model_file: str, config: RunConfig
) -> None:
    """The plots and reports of every member of an ensemble, as ``<tag>_<view>_*`` (nothing for other models)."""
    for view, member in (result.members or {}).items():
        member_spec = replace(spec, name=f"{spec.name} {view} member")
        write_evaluation(
            member,
            member_spec,
            f"{tag}_{view}",
            model_file,
            config.reports_dir,
            config.plots_dir,
            False,
        )


def train_holdout(spec: ModelSpec, loader: RAVDESSDataLoader, config: RunConfig) -> ModelResult:
    """Train one model on a split with held-out test actors (or none), evaluate it, and save it."""
    started = time.time()
    info, fit = prepared_fit(spec, loader, config)
    split = actor_split(
        info["actor"].to_numpy(),
        list(config.test_actors),
        None if config.val_actors is None else list(config.val_actors),
        seed=config.seed,
    )
    tag = spec.file_stem
    result = fit(split, tag, True)
    report_text = write_evaluation(
        result, spec, tag, f"{tag}.h5", config.reports_dir, config.plots_dir, bool(spec.patience)
    )
    write_member_evaluations(result, spec, tag, f"{tag}.h5", config)
    metadata = {
        **result.config,
        "protocol": "holdout",
        "evaluated_on": result.evaluated_on,
        "metrics": result.metrics,
        "epochs_run": epochs_run(result),
        "data_parallel_devices": data_parallel_devices(),
        "run": config.to_dict(),
    }
    saved = [
        result.model.save(config.models_dir / f"{tag}{suffix}", metadata=metadata)
        for suffix in (".h5", ".keras")
    ]
    seconds = round(time.time() - started, 1)
    run_record = {**metadata, "versions": package_versions(), "seconds": seconds}
    write_json(config.reports_dir / f"{tag}_run.json", run_record)
    print(report_text)
    print(f"saved {', '.join(map(str, saved))}, plots in {config.plots_dir}, reports in {config.reports_dir}")
    summary = {
        "model": spec.label,
        "data": data_label(loader.synthetic),
        "protocol": "holdout",
        "evaluated_on": result.evaluated_on,
        "actors": actor_ranges(result.actors),
        "samples": len(result.y_true),
        **{k: f"{v:.3f}" for k, v in result.metrics.items()},
        "epochs_run": metadata["epochs_run"],
        "seconds": seconds,
    }
    return ModelResult(
        spec, "holdout", result.metrics, fit=result, saved=saved, summary=summary, seconds=seconds
    )


def cross_validate(spec: ModelSpec, loader: RAVDESSDataLoader, config: RunConfig) -> ModelResult:
    """K-fold cross-validation over actor groups; reports every fold and mean ± std across folds.

    No model file is kept: cross-validation measures the recipe. Train the model to use
    with ``test_actors=()`` (``--test-actors none``).
    """
    if config.folds is None:
        raise ValueError("cross_validate needs config.folds (the number of actor folds)")
    started = time.time()
    info, fit = prepared_fit(spec, loader, config)
    folds = actor_folds(info["actor"].to_numpy(), config.folds, seed=config.seed)
    fold_rows = []
    # Each finished fold's evaluation is kept until the whole run is written: a run killed
    # in fold 3 reruns from fold 3, not from fold 1.
    evaluation_files = []
    for index, split in enumerate(folds, start=1):
        tag = f"{spec.file_stem}_fold{index}"
        result = fit(split, tag, False)
        evaluation_files.append(result.evaluation_file)
        write_evaluation(
            result,
            spec,
            tag,
            f"fold {index} of {config.folds}, not saved",
            config.reports_dir,
            config.plots_dir,
            bool(spec.patience),
        )
        write_member_evaluations(result, spec, tag, f"fold {index} of {config.folds}, not saved", config)
        fold_rows.append(
            {
                "fold": index,
                "test_actors": actor_ranges(split.test_actors),
                "val_actors": actor_ranges(split.val_actors),
                "train_actors": actor_ranges(split.train_actors),
                "samples": len(result.y_true),
                **result.metrics,
                "epochs_run": epochs_run(result),
                # An ensemble's members on the same fold, so the table shows what pooling adds.
                **{
                    f"{view}_{metric}": value
                    for view, metrics in result.config.get("member_metrics", {}).items()
                    for metric, value in metrics.items()
                    if metric in METRICS
                },
            }
        )
        print(f"fold {index}: " + ", ".join(f"{k} {v:.3f}" for k, v in result.metrics.items()))
    folds_table = pd.DataFrame(fold_rows)
    write_text_atomically(
        config.reports_dir / f"{spec.file_stem}_cv_folds.csv", folds_table.to_csv(index=False)
    )
    write_text_atomically(
        config.reports_dir / f"{spec.file_stem}_cv_folds.md",
        folds_table.to_markdown(index=False, floatfmt=".3f") + "\n",
    )
    seconds = round(time.time() - started, 1)
    means = {m: float(folds_table[m].mean()) for m in METRICS}
    stds = {m: float(folds_table[m].std(ddof=1)) if len(folds_table) > 1 else 0.0 for m in means}
    protocol = f"{config.folds}-fold actor cross-validation"
    run_record = {
        **{
            k: v
            for k, v in result.config.items()
            if k not in ("train_actors", "val_actors", "test_actors", "samples")
        },
        "protocol": protocol,
        "folds": fold_rows,
        "mean": means,
        "std": stds,
        "data_parallel_devices": data_parallel_devices(),
        "run": config.to_dict(),
        "versions": package_versions(),
        "seconds": seconds,
    }
    write_json(config.reports_dir / f"{spec.file_stem}_cv_run.json", run_record)
    for path in evaluation_files:
        path.unlink(missing_ok=True)
    summary = {
        "model": spec.label,
        "data": data_label(loader.synthetic),
        "protocol": f"{config.folds}-fold CV",
        "evaluated_on": "test",
        "actors": actor_ranges(sorted(set(info["actor"].tolist()))),
        "samples": int(folds_table["samples"].sum()),
        **{m: f"{means[m]:.3f} ± {stds[m]:.3f}" for m in means},
        "epochs_run": int(folds_table["epochs_run"].mean()),
        "seconds": seconds,
    }
    return ModelResult(spec, protocol, means, std=stds, folds=folds_table, summary=summary, seconds=seconds)


def train(config: RunConfig, on_summary: Callable[[pd.DataFrame], None] | None = None) -> list[ModelResult]:
    """Train (or cross-validate, with ``config.folds``) every model of ``config``, in order.

    After the last model, or when one fails, the rows of the models done are merged into
    ``reports/summary.csv`` and ``summary.md`` and the merged table is passed to
    ``on_summary``; a failure is then raised, so nothing measured before it is lost.
    """
    results: list[ModelResult] = []
    try:
        for spec in config.specs():
            run = cross_validate if config.folds else train_holdout
            results.append(run(spec, loader_for(spec, config), config))
    finally:
        if results:
            table = write_summary([r.summary for r in results], config.reports_dir)
            if on_summary is not None:
                on_summary(table)
    return results


def write_json(path: Path, record: dict[str, object]) -> Path:
    """A run record as indented JSON, written atomically."""
    return write_text_atomically(path, json.dumps(record, indent=2) + "\n")
