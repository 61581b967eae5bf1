"""Reports of a run: plots of training and of confusions, classification reports, the summary table.

Everything goes under ``plots/`` and ``reports/``, each file written atomically; every
title says which model, preset and file it is about, and warns when the data is the
synthetic demo's.
"""

from __future__ import annotations

import platform
from importlib import metadata as package_metadata
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: training often runs without a display

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import ConfusionMatrixDisplay, classification_report

from ravdess_emotion.core.files import atomic_path, write_text_atomically
from ravdess_emotion.core.ravdess import EMOTIONS, SONG_EMOTIONS, SYNTHETIC_NAME, SYNTHETIC_NOTICE
from ravdess_emotion.training.fitting import FitResult
from ravdess_emotion.training.recipes import ModelSpec
from ravdess_emotion.training.splits import actor_ranges

PACKAGES = (
    "keras",
    "tensorflow",
    "jax",
    "torch",
    "numpy",
    "librosa",
    "opencv-python-headless",
    "scikit-learn",
)


def save_figure(fig: plt.Figure, title: str, path: Path) -> Path:
    """Save a figure as PNG with its title also in the file's metadata (``Title``), and close it."""
    with atomic_path(path, keep_suffix=True) as tmp:
        fig.savefig(tmp, dpi=100, metadata={"Title": title})
    plt.close(fig)
    return path


def history_figure(history: dict[str, list[float]], title: str) -> plt.Figure:
    """Training and validation accuracy (on a 0-1 axis) and loss per epoch, side by side."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, metric in zip(axes, ("accuracy", "loss"), strict=True):
        epochs = np.arange(1, len(history[metric]) + 1)
        ax.plot(epochs, history[metric], label="training")
        if f"val_{metric}" in history:
            ax.plot(epochs, history[f"val_{metric}"], label="validation")
        ax.set(xlabel="epoch", ylabel=metric, title=metric)
        if metric == "accuracy":
            ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def confusion_labels(channel: str, y_pred: np.ndarray) -> list[int]:
    """Class indices a confusion matrix shows: every emotion of the channel, and any other predicted.

    Song has six emotions but the networks have eight outputs: a song clip predicted as
    ``disgust`` must show up as such, not vanish from the matrix.
    """
    emotions = SONG_EMOTIONS if channel == "song" else EMOTIONS
    return sorted({*range(len(emotions)), *np.asarray(y_pred).tolist()})


def confusion_figure(y_true: np.ndarray, y_pred: np.ndarray, labels: list[int], title: str) -> plt.Figure:
    """Row-normalised confusion matrix over ``labels`` (class indices), with each row's sample count."""
    counts = np.bincount(np.asarray(y_true), minlength=len(EMOTIONS))
    fig, ax = plt.subplots(figsize=(8, 7))
    ConfusionMatrixDisplay.from_predictions(
        y_true,
        y_pred,
        labels=labels,
        display_labels=[EMOTIONS[i] for i in labels],
        normalize="true",
        values_format=".2f",
        cmap="Blues",
        ax=ax,
        colorbar=False,
        xticks_rotation=45,
    )
    ax.set_yticklabels([f"{EMOTIONS[i]} (n={counts[i]})" for i in labels])
    ax.set(xlabel="predicted emotion", ylabel="true emotion (clips)")
    ax.set_title(f"{title}\nrows normalized: each row sums to 1 (recall per emotion)", fontsize=10)
    fig.tight_layout()
    return fig


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = package_metadata.version(name)
        except package_metadata.PackageNotFoundError:
            continue
    return versions


def plot_title(spec: ModelSpec, model_file: str, what: str, synthetic: bool) -> str:
    """A plot's title: the model, its preset (if it has one) and file, what the plot shows, and a warning on demo data."""
    preset = f", preset {spec.preset}" if spec.preset else ""
    title = f"{spec.name}{preset} ({model_file}): {what}"
    return f"{SYNTHETIC_NAME}: {title}" if synthetic else title


def write_evaluation(
    result: FitResult,
    spec: ModelSpec,
    tag: str,
    model_file: str,
    reports_dir: Path,
    plots_dir: Path,
    early_stopping: bool,
) -> str:
    """The confusion-matrix and history plots and the classification report of one evaluation.

    Returns the report. The history plot shows the first fit (``<tag>_history.png``);
    after a refit, ``<tag>_refit_history.png`` shows the training of the model kept.
    """
    synthetic = bool(result.config["synthetic_data"])
    evaluated = f"{result.evaluated_on} actors {actor_ranges(result.actors)}"
    labels = confusion_labels(spec.channel, result.y_pred)
    report_text = classification_report(
        result.y_true,
        result.y_pred,
        labels=labels,
        target_names=[EMOTIONS[i] for i in labels],
        zero_division=0,
    )
    title = plot_title(spec, model_file, evaluated, synthetic)
    write_text_atomically(reports_dir / f"{tag}_classification_report.txt", f"{title}\n\n{report_text}")
    confusion = confusion_figure(result.y_true, result.y_pred, labels, title)
    save_figure(confusion, title, plots_dir / f"{tag}_confusion.png")
    first_fit = "first fit, early stopping on the validation actors" if early_stopping else "first fit"
    if result.refit_history is not None:
        first_fit += " (not the model kept: see the refit)"
    # An ensemble has no epochs of its own: its members' histories are plotted as theirs.
    histories = [(result.history, first_fit, f"{tag}_history.png")] if result.history else []
    if result.refit_history is not None:
        refit = "refit on training + validation actors (the model kept)"
        histories.append((result.refit_history, refit, f"{tag}_refit_history.png"))
    for history, what, file_name in histories:
        history_title = plot_title(spec, model_file, what, synthetic)
        save_figure(history_figure(history, history_title), history_title, plots_dir / file_name)
    return report_text


SYNTHETIC_DATA_LABEL = "SYNTHETIC demo"


def data_label(synthetic: bool) -> str:
    """The ``data`` column of the summary: what the model was trained and evaluated on."""
    return SYNTHETIC_DATA_LABEL if synthetic else "real"


def write_summary(rows: list[dict[str, object]], reports_dir: Path) -> pd.DataFrame:
    """Merge this run's rows into ``reports/summary.csv`` and ``summary.md`` (one row per model and protocol).

    The ``data`` column says whether a row is on the synthetic demo data, and the markdown
    file then opens with a warning that those numbers say nothing about human emotion.
    """
    summary_path = reports_dir / "summary.csv"
    table = pd.DataFrame(rows).astype(str)
    if summary_path.exists():
        previous = pd.read_csv(summary_path, dtype=str, keep_default_na=False)
        if "data" not in previous.columns:  # written before the column existed: unknown
            previous.insert(1, "data", "")
        replaced = previous.set_index(["model", "protocol"]).index.isin(
            table.set_index(["model", "protocol"]).index
        )
        table = pd.concat([previous[~replaced], table], ignore_index=True)
    table = table.sort_values(["model", "protocol"]).reset_index(drop=True)
    with atomic_path(summary_path) as tmp:
        table.to_csv(tmp, index=False)
    warning = ""
    if (table["data"] == SYNTHETIC_DATA_LABEL).any():
        warning = f"**{SYNTHETIC_NOTICE}.** The rows marked `{SYNTHETIC_DATA_LABEL}` show that the pipeline runs.\n\n"
    write_text_atomically(reports_dir / "summary.md", warning + table.to_markdown(index=False) + "\n")
    return table
