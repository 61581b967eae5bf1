"""Fitting one model on one actor split: build, train with early stopping, refit, evaluate; resumable.

An interrupted fit resumes from its last completed epoch: a backup per configuration
(:class:`AtomicBackupAndRestore`, written atomically) and the epoch log it appends to.
The dataset reaches this module through the ``ravdess_emotion.batches.TrainingInputs``
protocol, so arrays in memory, speed-perturbed copies and streamed video clips all
train the same way.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import keras
import numpy as np
import pandas as pd

from ravdess_emotion.batches import TrainingInputs
from ravdess_emotion.core.files import atomic_path, write_text_atomically
from ravdess_emotion.core.ravdess import EMOTIONS
from ravdess_emotion.features.speakers import SPEAKER_PATHS
from ravdess_emotion.models import EmotionModel
from ravdess_emotion.training.config import RunConfig
from ravdess_emotion.training.metrics import classification_metrics
from ravdess_emotion.training.recipes import ModelSpec
from ravdess_emotion.training.splits import ActorSplit, actor_ranges


@dataclass
class FitResult:
    """A trained model and its predictions on the evaluation actors of one split."""

    model: EmotionModel | None
    """None for a fit whose model was not kept (``keep_model=False``) and whose evaluation was read back."""
    history: dict[str, list[float]]
    """Of the first fit, with early stopping on the validation actors."""
    refit_history: dict[str, list[float]] | None
    """Of the refit on training and validation actors (the model kept), if there was one."""
    y_true: np.ndarray
    y_pred: np.ndarray
    metrics: dict[str, float]
    evaluated_on: str
    actors: list[int]
    config: dict[str, object]
    evaluation_file: Path | None = None
    """With ``keep_model=False``: where this evaluation is kept until the caller's run ends."""
    members: dict[str, FitResult] | None = None
    """Of an ensemble of feature views: each member's own fit and evaluation, by view name."""


def fit_and_evaluate(
    spec: ModelSpec,
    X: TrainingInputs,
    y: np.ndarray,
    split: ActorSplit,
    settings: dict[str, object],
    config: RunConfig,
    tag: str,
    synthetic: bool = False,
    keep_model: bool = True,
) -> FitResult:
    """Build, train (early stopping on the validation actors) and evaluate one model on one split.

    The evaluation is on the test actors, or on the validation actors when the split
    has no test set (a final model); ``evaluated_on`` says which. ``synthetic`` (the data
    is the demo's, not RAVDESS) is recorded in the configuration the model file carries.

    With ``keep_model=False`` (a cross-validation fold, measured and never saved) the
    evaluation is also written to ``FitResult.evaluation_file``: a rerun of an interrupted
    run reads it back instead of training that fold again, and the caller deletes it
    when its run is complete.
    """
    epochs = config.epochs or spec.epochs
    batch_size = config.batch_size or spec.batch_size
    augment = config.augment and X.streams  # video and fusion only
    refit = spec.refit and len(split.val) > 0
    model_config = {
        "model": spec.name,
        "model_class": spec.model_class.__name__,
        "preset": config.preset,
        "kind": spec.kind,
        "channel": spec.channel,
        "data_dir": str(config.data_dir),
        "synthetic_data": synthetic,
        "features": settings,
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": config.learning_rate,
        "dropout": config.dropout,
        "patience": spec.patience,
        "seed": config.seed,
        "augment": augment,
        "refit": refit,
        "speed_perturbation": list(spec.speeds),
        "enrollment_sizes": None if spec.enrollment_sizes is None else list(spec.enrollment_sizes),
        "train_actors": split.train_actors,
        "val_actors": split.val_actors,
        "test_actors": split.test_actors,
        "samples": {"train": len(split.train), "val": len(split.val), "test": len(split.test)},
    }
    print(
        f"\n== {tag}: {len(split.train)} train / {len(split.val)} val / {len(split.test)} test samples; "
        f"actors train {actor_ranges(split.train_actors)}, val {actor_ranges(split.val_actors)}, "
        f"test {actor_ranges(split.test_actors) or 'none'}"
    )
    if spec.speeds:
        speeds = ", ".join(f"{speed:g}" for speed in spec.speeds)
        print(f"speed perturbation: each training file also at {speeds} times the speed")
    for folder in (config.reports_dir, config.models_dir, config.plots_dir):
        folder.mkdir(parents=True, exist_ok=True)
    # A backup folder per configuration: an interrupted run resumes from its last epoch,
    # and a run with other settings never restores weights that do not fit.
    config_key = hashlib.sha256(json.dumps(model_config, sort_keys=True).encode()).hexdigest()[:12]
    backup_root = config.models_dir / ".backup"
    backup_dir = backup_root / f"{tag}_{config_key}"
    evaluated_on = "test" if len(split.test) else "validation"
    rows = split.test if len(split.test) else split.val
    evaluation_file = None if keep_model else backup_root / f"{tag}_{config_key}.evaluation.json"
    if (finished := finished_fit(evaluation_file, y[rows], tag)) is not None:
        return finished
    model = new_model(spec, X, config)
    # What the first fit leaves for its refit, kept until the refit ends: a kill during the
    # refit then resumes the refit, instead of training the first model again.
    first_fit_file = backup_root / f"{tag}_{config_key}.first_fit.json"
    history_csv = config.reports_dir / f"{tag}_history.csv"
    # Without test actors, a refit trains on the validation actors: measure them before, never after.
    measured_before_refit = refit and not len(split.test)
    first_fit = _read_first_fit(first_fit_file) if refit else None
    if first_fit is not None:
        print(
            f"resuming the refit of {tag}: its first fit finished before the interruption ({first_fit_file})"
        )
        history_dict, refit_settings = first_fit["history"], first_fit["refit_settings"]
        y_pred = np.asarray(first_fit["y_pred"], dtype=np.int64) if measured_before_refit else None
    else:
        callbacks, resumed_at = _resumable(backup_dir, history_csv, tag)
        history = model.train(
            *X.fit_data(split.train, y, batch_size, shuffle=True, augment=augment, seed=config.seed),
            *X.eval_data(split.val, y, batch_size),
            epochs=epochs,
            batch_size=batch_size,
            patience=spec.patience or None,
            callbacks=callbacks,
            verbose=config.verbose,
        )
        history_dict = history.history
        if resumed_at:
            history_dict = _logged_history(history_csv)
        y_pred = (
            model.predict_classes(X.eval_data(rows, batch_size=batch_size)[0])
            if measured_before_refit
            else None
        )
        refit_settings = model.refit_settings()
        if refit:
            record = {
                "history": history_dict,
                "refit_settings": refit_settings,
                "y_pred": as_label_list(y_pred),
            }
            backup_root.mkdir(parents=True, exist_ok=True)
            write_text_atomically(first_fit_file, json.dumps(record))
    if measured_before_refit:
        evaluated_on = "validation, before the refit"
    refit_history = None
    if refit:
        model, refit_history = refit_on_train_and_val(
            spec,
            X,
            y,
            split,
            history_dict,
            batch_size,
            augment,
            config,
            tag,
            refit_settings,
            backup_dir=backup_root / f"{tag}_{config_key}_refit",
        )
        first_fit_file.unlink(missing_ok=True)
    if not measured_before_refit:
        y_pred = model.predict_classes(X.eval_data(rows, batch_size=batch_size)[0])
    # What the inputs learned from the final model's training rows (a speaker prior) travels with it.
    model.metadata.update(getattr(X, "model_metadata", dict)())
    if "speaker_prior" in model.metadata:
        model_config["speaker_paths"] = list(SPEAKER_PATHS)
    evaluation = {
        "history": history_dict,
        "refit_history": refit_history,
        "y_true": y[rows],
        "y_pred": y_pred,
        "metrics": classification_metrics(y[rows], y_pred),
        "evaluated_on": evaluated_on,
        "actors": split.test_actors if len(split.test) else split.val_actors,
    }
    if evaluation_file is not None:
        store_evaluation(evaluation_file, evaluation, model_config)
        model = None
    return FitResult(model=model, **evaluation, config=model_config, evaluation_file=evaluation_file)


def refit_on_train_and_val(
    spec: ModelSpec,
    X: TrainingInputs,
    y: np.ndarray,
    split: ActorSplit,
    history: dict[str, list[float]],
    batch_size: int,
    augment: bool,
    config: RunConfig,
    tag: str,
    settings: dict[str, object] | None = None,
    backup_dir: Path | None = None,
) -> tuple[EmotionModel, dict[str, list[float]]]:
    """A fresh model trained on the training and validation actors together, for the best epoch count.

    ``settings`` are what the first model chose on the validation actors and the refit
    keeps (``EmotionModel.refit_settings``: a late fusion's audio weight). With
    ``backup_dir``, the refit is backed up after every epoch and its epochs logged to
    ``<reports_dir>/<tag>_refit_history.csv``, so a killed refit resumes after its last
    completed epoch.

    Returns the model and its training history (no validation: those actors are trained on).

    The epoch count is the best validation epoch of the first model, or all of its epochs
    when it trained without early stopping. With only 20 or 24 actors, giving the final
    model those actors too is worth more than a held-out check. The test actors stay unseen.
    """
    best_epochs = int(np.argmin(history["val_loss"])) + 1 if spec.patience else len(history["loss"])
    rows = np.concatenate([split.train, split.val])
    why = (
        "the best validation epoch" if spec.patience else "as many as the first model, without early stopping"
    )
    print(f"refit {tag}: {best_epochs} epochs ({why}) on {len(rows)} train+val samples")
    model = new_model(spec, X, config, **(settings or {}))
    callbacks: list[keras.callbacks.Callback] = [keras.callbacks.TerminateOnNaN()]
    resumed_at = 0
    if backup_dir is not None:
        history_csv = config.reports_dir / f"{tag}_refit_history.csv"
        callbacks, resumed_at = _resumable(backup_dir, history_csv, f"the refit of {tag}")
    history = model.train(
        *X.fit_data(rows, y, batch_size, shuffle=True, augment=augment, seed=config.seed),
        epochs=best_epochs,
        batch_size=batch_size,
        patience=None,
        callbacks=callbacks,
        verbose=config.verbose,
    )
    return model, _logged_history(history_csv) if resumed_at else history.history


def new_model(spec: ModelSpec, X: TrainingInputs, config: RunConfig, **settings: object) -> EmotionModel:
    """A freshly seeded, built and compiled model of ``spec`` for inputs like ``X`` (``settings``: see the refit)."""
    keras.utils.set_random_seed(config.seed)
    model = spec.model_class(
        num_emotions=len(EMOTIONS), learning_rate=config.learning_rate, dropout=config.dropout, **settings
    )
    model.build_model(X.input_shape)
    return model


class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """Keras' ``BackupAndRestore`` with each backup file replaced atomically.

    Keras writes the backup over the previous one in place, so a kill during that write
    would leave a weights file the restart cannot read. Here both files are written
    under temporary names and renamed, so the backup always holds a completed epoch.
    """

    def _save_model(self) -> None:
        backup = Path(self.backup_dir)
        backup.mkdir(parents=True, exist_ok=True)
        tmp_weights = backup / "next.weights.h5"  # Keras insists on the .weights.h5 suffix
        tmp_metadata = backup / "next_training_metadata.json"
        self.model.save_weights(str(tmp_weights), overwrite=True)
        tmp_metadata.write_text(json.dumps({"epoch": self._current_epoch, "batch": self._last_batch_seen}))
        os.replace(tmp_weights, self._weights_path)
        os.replace(tmp_metadata, self._training_metadata_path)


def _resumable(backup_dir: Path, history_csv: Path, what: str) -> tuple[list[keras.callbacks.Callback], int]:
    """The callbacks of a fit that resumes after a kill, and the epochs it resumes after (0: a fresh start).

    An atomic backup after every epoch, the epoch log (appended to on a resume, so that
    it keeps the epochs before the interruption) and a stop on NaN; ``what`` names the
    fit in the resume message.
    """
    resumed_at = _resume_history(backup_dir, history_csv)
    if resumed_at:
        print(f"resuming {what} after epoch {resumed_at} from {backup_dir}")
    callbacks = [
        AtomicBackupAndRestore(str(backup_dir)),
        keras.callbacks.CSVLogger(str(history_csv), append=bool(resumed_at)),
        keras.callbacks.TerminateOnNaN(),
    ]
    return callbacks, resumed_at


def _logged_history(history_csv: Path) -> dict[str, list[float]]:
    """A resumed fit's whole history: fit() only saw the epochs after the restart, the log has them all."""
    logged = pd.read_csv(history_csv)
    return {column: logged[column].tolist() for column in logged.columns if column != "epoch"}


def _read_first_fit(path: Path) -> dict[str, object] | None:
    """What a first fit that finished left for its refit (:func:`fit_and_evaluate`), or None (none, or unreadable)."""
    try:
        record = json.loads(path.read_text())
        return record if {"history", "refit_settings", "y_pred"} <= set(record) else None
    except (OSError, ValueError, TypeError):
        return None


def finished_fit(evaluation_file: Path | None, y_true: np.ndarray, tag: str) -> FitResult | None:
    """The fit ``tag`` as it finished before a kill (its evaluation read back), or None: none stored, or a model kept."""
    if evaluation_file is None:
        return None
    finished = read_evaluation(evaluation_file, y_true)
    if finished is None:
        return None
    print(f"{tag} finished before the interruption: its evaluation is read from {evaluation_file}")
    return FitResult(model=None, **finished, evaluation_file=evaluation_file)


def store_evaluation(path: Path, evaluation: dict[str, object], config: dict[str, object]) -> None:
    """Write a finished fit's evaluation and configuration, which :func:`read_evaluation` reads back after a kill."""
    stored = {
        **evaluation,
        "y_true": as_label_list(evaluation["y_true"]),
        "y_pred": as_label_list(evaluation["y_pred"]),
        "config": config,
    }
    write_text_atomically(path, json.dumps(stored))


def read_evaluation(path: Path, y_true: np.ndarray) -> dict[str, object] | None:
    """A finished fit's stored evaluation (:func:`fit_and_evaluate`), or None (none, unreadable, or other labels)."""
    try:
        record = json.loads(path.read_text())
        stored_true = np.asarray(record["y_true"], dtype=np.int64)
        y_pred = np.asarray(record["y_pred"], dtype=np.int64)
        kept = {k: record[k] for k in ("history", "refit_history", "evaluated_on", "actors", "config")}
    except (OSError, ValueError, TypeError, KeyError):
        return None
    # The same configuration over changed data (files added or removed since): train again.
    if not np.array_equal(stored_true, y_true) or len(y_pred) != len(y_true):
        return None
    return {**kept, "y_true": y_true, "y_pred": y_pred, "metrics": classification_metrics(y_true, y_pred)}


def as_label_list(values: np.ndarray | None) -> list[int] | None:
    """Labels as JSON can store them (None stays None)."""
    return None if values is None else [int(v) for v in values]


def _resume_history(backup_dir: Path, history_csv: Path) -> int:
    """Completed epochs of an interrupted run with this configuration (0: none, start afresh).

    On a resume, the history log is cut to those epochs, so that rows of an epoch the
    kill interrupted are never logged twice.
    """
    try:
        epochs = int(json.loads((backup_dir / "training_metadata.json").read_text())["epoch"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0
    if history_csv.exists():
        try:
            logged = pd.read_csv(history_csv)
            with atomic_path(history_csv) as tmp:
                logged[logged["epoch"] < epochs].to_csv(tmp, index=False)
        except (ValueError, KeyError, pd.errors.ParserError):
            history_csv.unlink()
    return epochs
