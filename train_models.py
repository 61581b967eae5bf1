"""Train the emotion models on an organized RAVDESS (or demo) folder, evaluated by actor.

Every split is actor-independent: the test actors (``--test-actors``) and the
validation actors (drawn from the rest, for early stopping) never appear in the
training data, and since a take belongs to one actor, no recording is in two splits.

For each model it writes ``models/<name>.h5`` and ``.keras`` (with ``<name>.json``: the
feature settings and everything ``predict.py`` needs), ``plots/<name>_history.png`` and
``plots/<name>_confusion.png``, and in ``reports/`` the metrics, the classification
report and the exact configuration, actors and package versions of the run.

    python train_models.py --data-dir data/organized --models audio-speech --epochs 50
    python train_models.py --data-dir data/organized --models audio-speech --preset best --folds 5

``--preset seed`` (the default) trains the seed's CNN-LSTM on MFCC images; ``--preset
best`` the audio model that measured best in ``benchmark_audio.py``: L2-penalised logistic
regression on utterance functionals standardised per speaker (see ``audio_functionals.py``),
trained for speech also on copies of each training file played slightly faster and slower.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import time
from dataclasses import dataclass, field, replace
from importlib import metadata as package_metadata
from pathlib import Path

import keras_backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import keras
import matplotlib

matplotlib.use("Agg")  # files only: training often runs without a display

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    accuracy_score,
    balanced_accuracy_score,
    classification_report,
    f1_score,
)
from sklearn.model_selection import GroupKFold, GroupShuffleSplit

from data_loader import (
    PLAYBACK_SPEED_RANGE,
    FeatureSettings,
    MediaError,
    RAVDESSDataLoader,
    WorkerCrashError,
    add_data_dir_argument,
    add_feature_arguments,
    settings_from_args,
)
from emotion_models import (
    MODEL_CLASSES,
    AudioEmotionCNNLSTM,
    AudioEmotionLogistic,
    EmotionModel,
    MultimodalEmotionFusion,
    VideoEmotion3DCNNLSTM,
)
from ravdess import EMOTIONS, SONG_EMOTIONS, SYNTHETIC_NAME, SYNTHETIC_NOTICE, is_synthetic, parse_actor_list
from video_batches import ClipSet


@dataclass(frozen=True)
class ModelSpec:
    """One trainable model: what it reads, how it is built, and its defaults (the seed's, or a preset's)."""

    name: str
    kind: str
    channel: str
    model_class: type[EmotionModel]
    batch_size: int
    epochs: int
    preset: str = "seed"
    speeds: tuple[float, ...] = ()
    """Playback speeds of the extra training copies (speed perturbation); audio only."""

    @property
    def file_stem(self) -> str:
        """``audio_emotion_speech``; another preset's audio model adds its name (``..._best``)."""
        stem = f"{self.kind}_emotion_{self.channel}"
        return stem if self.preset == "seed" else f"{stem}_{self.preset}"

    @property
    def label(self) -> str:
        """The model's name in summaries: ``audio-speech``, or ``audio-speech (best)``."""
        return self.name if self.preset == "seed" else f"{self.name} ({self.preset})"


MODEL_SPECS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("audio-speech", "audio", "speech", AudioEmotionCNNLSTM, batch_size=16, epochs=50),
        ModelSpec("audio-song", "audio", "song", AudioEmotionCNNLSTM, batch_size=16, epochs=50),
        ModelSpec("video-speech", "video", "speech", VideoEmotion3DCNNLSTM, batch_size=8, epochs=30),
        ModelSpec("video-song", "video", "song", VideoEmotion3DCNNLSTM, batch_size=8, epochs=30),
        ModelSpec("fusion-speech", "fusion", "speech", MultimodalEmotionFusion, batch_size=8, epochs=30),
    )
}


@dataclass(frozen=True)
class Preset:
    """A named recipe for the audio models: their network, features and training defaults.

    Video and fusion models are the same under every preset.
    """

    name: str
    description: str
    audio_model: type[EmotionModel]
    audio_features: dict[str, object] = field(default_factory=dict)
    speed_perturbation: dict[str, tuple[float, ...]] = field(default_factory=dict)
    """Per channel, the playback speeds of extra training copies of every training file."""
    epochs: int = 50
    batch_size: int = 16
    refit: bool = False
    patience: int = 10

    def feature_settings(self) -> FeatureSettings:
        """The audio feature settings of this preset (the seed's settings, with its changes)."""
        return FeatureSettings.from_dict({**FeatureSettings().to_dict(), **self.audio_features})


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "seed",
            "the seed's CNN-LSTM on 13 MFCC x 216 frames at 22,050 Hz",
            AudioEmotionCNNLSTM,
        ),
        Preset(
            "best",
            "L2-penalised logistic regression on 1,456 utterance functionals (MFCC, log-mel, pitch, "
            "loudness and spectral statistics) at 16 kHz, standardised per speaker; speech trains on "
            "extra copies played at 0.9, 0.95, 1.05 and 1.1 times the speed",
            AudioEmotionLogistic,
            {
                "audio_features": "functionals",
                "speaker_norm": True,
                "sample_rate": 16000,
                "n_fft": 1024,
                "hop_length": 160,
            },
            # Song measured worse with these copies (benchmark_audio.py --folds 5: 0.891 without,
            # 0.819 with); speech better (0.631 without, 0.682 with).
            speed_perturbation={"speech": (0.9, 0.95, 1.05, 1.1)},
            epochs=60,
            batch_size=32,
            refit=True,
            # The learning rate decays to 0 over all 60 epochs, so the model settles at the
            # penalised optimum; stopping early would cut that short.
            patience=0,
        ),
    )
}


AUDIO_MODEL_CLASSES = {name: cls for name, cls in MODEL_CLASSES.items() if cls.kind == "audio"}


def audio_spec_overrides(audio_model: str | None, speed_perturbation: str | None) -> dict[str, object]:
    """What ``--audio-model`` and ``--speed-perturbation`` change in the audio models' specs."""
    overrides: dict[str, object] = {}
    if audio_model is not None:
        overrides["model_class"] = AUDIO_MODEL_CLASSES[audio_model]
    if speed_perturbation is not None:
        overrides["speeds"] = parse_speeds(speed_perturbation)
    return overrides


def parse_speeds(text: str) -> tuple[float, ...]:
    """``'0.9,1.1'`` → ``(0.9, 1.1)``; ``'none'`` → ``()``. Speeds must lie in ``PLAYBACK_SPEED_RANGE`` and differ from 1."""
    if text.strip().lower() == "none":
        return ()
    try:
        speeds = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError(f"--speed-perturbation: {text!r} is not a comma-separated list of speeds") from None
    low, high = PLAYBACK_SPEED_RANGE
    bad = [speed for speed in speeds if not low <= speed <= high or speed == 1.0]
    if not speeds or bad:
        raise ValueError(
            f"--speed-perturbation: speeds must lie between {low} and {high} and differ from 1.0 "
            f"(1.0 is the original, always trained on); got {text!r}"
        )
    return speeds


def apply_preset(spec: ModelSpec, preset: Preset) -> ModelSpec:
    """``spec`` with the preset's network and training defaults when it is an audio model."""
    if spec.kind != "audio":
        return spec
    return replace(
        spec,
        model_class=preset.audio_model,
        epochs=preset.epochs,
        batch_size=preset.batch_size,
        preset=preset.name,
        speeds=preset.speed_perturbation.get(spec.channel, ()),
    )


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


# --------------------------------------------------------------------------- splits


@dataclass
class ActorSplit:
    """Row indices of the training, validation and test samples, and the actors of each."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    train_actors: list[int]
    val_actors: list[int]
    test_actors: list[int]


def actor_split(
    actors: np.ndarray,
    test_actors: list[int],
    val_actors: list[int] | None = None,
    val_fraction: float = 0.15,
    seed: int = 0,
) -> ActorSplit:
    """Split samples by actor into train / validation / test.

    Parameters
    ----------
    actors : array, shape (n,)
        The actor of each sample.
    test_actors : list of int
        Held out for testing; empty for no test set (a final model on every actor).
    val_actors : list of int, optional
        Validation actors; by default a ``val_fraction`` of the remaining actors,
        drawn with scikit-learn's ``GroupShuffleSplit`` (at least one actor).

    Raises
    ------
    ValueError
        When a named actor has no samples, or too few actors remain to train on.
    """
    actors = np.asarray(actors)
    present = sorted(set(actors.tolist()))
    missing = sorted(set(test_actors) - set(present))
    if missing:
        raise ValueError(
            f"test actors {missing} have no samples here; actors present: {_ranges(present)} "
            "(choose --test-actors among them, or 'none')"
        )
    is_test = np.isin(actors, test_actors)
    pool = np.flatnonzero(~is_test)
    pool_actors = sorted(set(actors[pool].tolist()))
    if len(pool_actors) < 2:
        raise ValueError(f"only actors {pool_actors} remain for training and validation: need at least 2")
    if val_actors is None:
        splitter = GroupShuffleSplit(n_splits=1, test_size=val_fraction, random_state=seed)
        _, val_rows = next(splitter.split(pool, groups=actors[pool]))
        val_actors = sorted(set(actors[pool[val_rows]].tolist()))
    else:
        overlap = sorted(set(val_actors) & set(test_actors))
        if overlap:
            raise ValueError(f"actors {overlap} are both validation and test actors")
        unknown = sorted(set(val_actors) - set(pool_actors))
        if unknown:
            raise ValueError(f"validation actors {unknown} have no samples outside the test set")
    is_val = np.isin(actors, val_actors)
    train = np.flatnonzero(~is_test & ~is_val)
    if train.size == 0:
        raise ValueError("no training samples remain after taking out validation and test actors")
    return ActorSplit(
        train=train,
        val=np.flatnonzero(is_val),
        test=np.flatnonzero(is_test),
        train_actors=sorted(set(actors[train].tolist())),
        val_actors=sorted(val_actors),
        test_actors=sorted(test_actors),
    )


def actor_folds(
    actors: np.ndarray, n_folds: int, seed: int = 0, val_fraction: float = 0.15
) -> list[ActorSplit]:
    """K folds over actor groups (scikit-learn's ``GroupKFold``, shuffled by ``seed``).

    Every actor is a test actor in exactly one fold; each fold's validation actors are
    drawn from its training actors, so a fold's test actors never steer early stopping.
    """
    actors = np.asarray(actors)
    n_actors = len(set(actors.tolist()))
    if not 2 <= n_folds <= n_actors:
        raise ValueError(f"--folds must be between 2 and the number of actors ({n_actors}), got {n_folds}")
    splitter = GroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    return [
        actor_split(actors, sorted(set(actors[test].tolist())), val_fraction=val_fraction, seed=seed)
        for _, test in splitter.split(actors, groups=actors)
    ]


def _ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 7]`` → ``'1-3,7'``: the form ``--test-actors`` accepts."""
    parts: list[str] = []
    for n in numbers:
        if parts and int(parts[-1].split("-")[-1]) == n - 1:
            parts[-1] = f"{parts[-1].split('-')[0]}-{n}"
        else:
            parts.append(str(n))
    return ",".join(parts)


# --------------------------------------------------------------------------- metrics and plots


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Accuracy, unweighted average recall (balanced accuracy) and macro F1."""
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "uar": float(balanced_accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro")),
    }


def save_figure(fig: plt.Figure, title: str, path: Path) -> Path:
    """Save a figure as PNG with its title also in the file's metadata (``Title``), and close it."""
    fig.savefig(path, dpi=100, metadata={"Title": title})
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


# --------------------------------------------------------------------------- training one model


def load_dataset(loader: RAVDESSDataLoader, spec: ModelSpec):
    """``(X, y, info)`` for a model; X is ``[audio, video]`` for fusion.

    For an audio model with ``spec.speeds``, X is a :class:`SpeedCopies`: the features,
    and the same files' features at each speed for training.
    """
    if spec.kind == "audio":
        X, y, info = loader.load_audio_dataset(spec.channel, return_info=True)
        if spec.speeds:
            X = SpeedCopies(X, loader.load_audio_speed_copies(spec.channel, spec.speeds, info))
        return X, y, info
    # Video and fusion stream from the on-disk frame cache (a ClipSet): memory does not grow with clips.
    return loader.video_cache(spec.kind, spec.channel)


@dataclass(frozen=True)
class SpeedCopies:
    """Audio features with speed-perturbed copies of the same files, for training.

    Training rows come with their copies (:meth:`training_rows`); every other use
    (validation, test, shapes) sees only ``original``.
    """

    original: np.ndarray
    copies: list[np.ndarray]

    def training_rows(self, rows: np.ndarray) -> np.ndarray:
        """The original ``rows``, then the same rows of each copy, stacked: (len(rows) * (1 + copies), ...)."""
        return np.concatenate([self.original[rows], *(copy[rows] for copy in self.copies)])


def take_rows(X, rows: np.ndarray):
    if isinstance(X, SpeedCopies):
        return X.original[rows]
    return [x[rows] for x in X] if isinstance(X, list | tuple) else X[rows]


def input_shape_of(X):
    """What ``build_model`` takes for ``X``: arrays, an [audio, video] pair, or a streaming ClipSet."""
    if isinstance(X, ClipSet):
        return X.input_shape
    if isinstance(X, SpeedCopies):
        return X.original.shape[1:]
    return tuple(x.shape[1:] for x in X) if isinstance(X, list | tuple) else X.shape[1:]


def model_inputs(X, rows: np.ndarray, y: np.ndarray | None = None, batch_size: int = 8, **batches):
    """``(inputs, labels)`` of ``rows`` for ``EmotionModel.train``/``predict``.

    Arrays are passed as they are; a ClipSet becomes ``video_batches.VideoBatches``
    (keyword arguments such as ``shuffle`` and ``augment`` go to it) with labels None.
    """
    subset = take_rows(X, rows)
    if isinstance(subset, ClipSet):
        return subset.batches(y, batch_size, **batches), None
    return subset, y


def training_inputs(X, y: np.ndarray, rows: np.ndarray, batch_size: int, **batches):
    """:func:`model_inputs` for training: with :class:`SpeedCopies`, the rows and their copies."""
    if isinstance(X, SpeedCopies):
        return X.training_rows(rows), np.tile(y[rows], 1 + len(X.copies))
    return model_inputs(X, rows, y[rows], batch_size, **batches)


@dataclass
class FitResult:
    """A trained model and its predictions on the evaluation actors of one split."""

    model: EmotionModel
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


def fit_and_evaluate(
    spec: ModelSpec,
    X,
    y: np.ndarray,
    split: ActorSplit,
    settings: dict[str, object],
    args: argparse.Namespace,
    tag: str,
    synthetic: bool = False,
) -> FitResult:
    """Build, train (early stopping on the validation actors) and evaluate one model on one split.

    The evaluation is on the test actors, or on the validation actors when the split
    has no test set (a final model); ``evaluated_on`` says which. ``synthetic`` (the data
    is the demo's, not RAVDESS) is recorded in the configuration the model file carries.
    """
    epochs = args.epochs or spec.epochs
    batch_size = args.batch_size or spec.batch_size
    augment = bool(getattr(args, "augment", True)) and isinstance(X, ClipSet)  # video and fusion only
    refit = bool(getattr(args, "refit", False)) and len(split.val) > 0
    config = {
        "model": spec.name,
        "model_class": spec.model_class.__name__,
        "preset": getattr(args, "preset", "seed"),
        "kind": spec.kind,
        "channel": spec.channel,
        "data_dir": str(args.data_dir),
        "synthetic_data": synthetic,
        "features": settings,
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": args.learning_rate,
        "dropout": args.dropout,
        "patience": args.patience,
        "seed": args.seed,
        "augment": augment,
        "refit": refit,
        "speed_perturbation": list(spec.speeds),
        "train_actors": split.train_actors,
        "val_actors": split.val_actors,
        "test_actors": split.test_actors,
        "samples": {"train": len(split.train), "val": len(split.val), "test": len(split.test)},
    }
    print(
        f"\n== {tag}: {len(split.train)} train / {len(split.val)} val / {len(split.test)} test samples; "
        f"actors train {_ranges(split.train_actors)}, val {_ranges(split.val_actors)}, "
        f"test {_ranges(split.test_actors) or 'none'}"
    )
    if spec.speeds:
        speeds = ", ".join(f"{speed:g}" for speed in spec.speeds)
        print(f"speed perturbation: each training file also at {speeds} times the speed")
    model = new_model(spec, X, args)

    for folder in (args.reports_dir, args.models_dir, args.plots_dir):
        folder.mkdir(parents=True, exist_ok=True)
    # A backup folder per configuration: an interrupted run resumes from its last epoch,
    # and a run with other settings never restores weights that do not fit.
    config_key = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:12]
    backup_dir = args.models_dir / ".backup" / f"{tag}_{config_key}"
    history_csv = args.reports_dir / f"{tag}_history.csv"
    resumed_at = _resume_history(backup_dir, history_csv)
    if resumed_at:
        print(f"resuming {tag} after epoch {resumed_at} from {backup_dir}")
    callbacks = [
        AtomicBackupAndRestore(str(backup_dir)),
        # Appending on resume keeps the epochs before the interruption in the log.
        keras.callbacks.CSVLogger(str(history_csv), append=bool(resumed_at)),
        keras.callbacks.TerminateOnNaN(),
    ]
    history = model.train(
        *training_inputs(X, y, split.train, batch_size, shuffle=True, augment=augment, seed=args.seed),
        *model_inputs(X, split.val, y[split.val], batch_size),
        epochs=epochs,
        batch_size=batch_size,
        patience=args.patience or None,
        callbacks=callbacks,
        verbose=args.verbose,
    )
    history_dict = history.history
    if resumed_at:
        # fit() only saw the epochs after the restart: the full history is in the log.
        logged = pd.read_csv(history_csv)
        history_dict = {column: logged[column].tolist() for column in logged.columns if column != "epoch"}
    evaluated_on = "test" if len(split.test) else "validation"
    rows = split.test if len(split.test) else split.val
    # Without test actors, a refit trains on the validation actors: measure them before, never after.
    measured_before_refit = refit and not len(split.test)
    if measured_before_refit:
        y_pred = model.predict_classes(model_inputs(X, rows, batch_size=batch_size)[0])
        evaluated_on = "validation, before the refit"
    refit_history = None
    if refit:
        model, refit_history = refit_on_train_and_val(
            spec, X, y, split, history_dict, batch_size, augment, args, tag
        )
    if not measured_before_refit:
        y_pred = model.predict_classes(model_inputs(X, rows, batch_size=batch_size)[0])
    return FitResult(
        model=model,
        history=history_dict,
        refit_history=refit_history,
        y_true=y[rows],
        y_pred=y_pred,
        metrics=classification_metrics(y[rows], y_pred),
        evaluated_on=evaluated_on,
        actors=split.test_actors if len(split.test) else split.val_actors,
        config=config,
    )


def refit_on_train_and_val(
    spec: ModelSpec,
    X,
    y: np.ndarray,
    split: ActorSplit,
    history: dict[str, list[float]],
    batch_size: int,
    augment: bool,
    args: argparse.Namespace,
    tag: str,
) -> tuple[EmotionModel, dict[str, list[float]]]:
    """A fresh model trained on the training and validation actors together, for the best epoch count.

    Returns the model and its training history (no validation: those actors are trained on).

    The epoch count is the best validation epoch of the first model, or all of its epochs
    when it trained without early stopping. With only 20 or 24 actors, giving the final
    model those actors too is worth more than a held-out check. The test actors stay unseen.
    """
    best_epochs = int(np.argmin(history["val_loss"])) + 1 if args.patience else len(history["loss"])
    rows = np.concatenate([split.train, split.val])
    why = (
        "the best validation epoch" if args.patience else "as many as the first model, without early stopping"
    )
    print(f"refit {tag}: {best_epochs} epochs ({why}) on {len(rows)} train+val samples")
    model = new_model(spec, X, args)
    history = model.train(
        *training_inputs(X, y, rows, batch_size, shuffle=True, augment=augment, seed=args.seed),
        epochs=best_epochs,
        batch_size=batch_size,
        patience=None,
        callbacks=[keras.callbacks.TerminateOnNaN()],
        verbose=args.verbose,
    )
    return model, history.history


def new_model(spec: ModelSpec, X, args: argparse.Namespace) -> EmotionModel:
    """A freshly seeded, built and compiled model of ``spec`` for inputs like ``X``."""
    keras.utils.set_random_seed(args.seed)
    model = spec.model_class(
        num_emotions=len(EMOTIONS), learning_rate=args.learning_rate, dropout=args.dropout
    )
    model.build_model(input_shape_of(X))
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
            tmp = history_csv.with_name(f".{history_csv.name}.tmp")
            logged[logged["epoch"] < epochs].to_csv(tmp, index=False)
            os.replace(tmp, history_csv)
        except (ValueError, KeyError, pd.errors.ParserError):
            history_csv.unlink()
    return epochs


def plot_title(spec: ModelSpec, model_file: str, what: str, synthetic: bool) -> str:
    """A plot's title: the model, its preset and file, what the plot shows, and a warning on demo data."""
    title = f"{spec.name}, preset {spec.preset} ({model_file}): {what}"
    return f"{SYNTHETIC_NAME}: {title}" if synthetic else title


def write_evaluation(
    result: FitResult, spec: ModelSpec, tag: str, model_file: str, args: argparse.Namespace
) -> str:
    """The confusion-matrix and history plots and the classification report of one evaluation.

    Returns the report. The history plot shows the first fit (``<tag>_history.png``);
    after a refit, ``<tag>_refit_history.png`` shows the training of the model kept.
    """
    synthetic = bool(result.config["synthetic_data"])
    evaluated = f"{result.evaluated_on} actors {_ranges(result.actors)}"
    labels = confusion_labels(spec.channel, result.y_pred)
    report_text = classification_report(
        result.y_true,
        result.y_pred,
        labels=labels,
        target_names=[EMOTIONS[i] for i in labels],
        zero_division=0,
    )
    title = plot_title(spec, model_file, evaluated, synthetic)
    (args.reports_dir / f"{tag}_classification_report.txt").write_text(f"{title}\n\n{report_text}")
    confusion = confusion_figure(result.y_true, result.y_pred, labels, title)
    save_figure(confusion, title, args.plots_dir / f"{tag}_confusion.png")
    first_fit = "first fit, early stopping on the validation actors" if args.patience else "first fit"
    if result.refit_history is not None:
        first_fit += " (not the model kept: see the refit)"
    histories = [(result.history, first_fit, f"{tag}_history.png")]
    if result.refit_history is not None:
        refit = "refit on training + validation actors (the model kept)"
        histories.append((result.refit_history, refit, f"{tag}_refit_history.png"))
    for history, what, file_name in histories:
        history_title = plot_title(spec, model_file, what, synthetic)
        save_figure(history_figure(history, history_title), history_title, args.plots_dir / file_name)
    return report_text


def train_holdout(spec: ModelSpec, loader: RAVDESSDataLoader, args: argparse.Namespace) -> dict[str, object]:
    """Train one model on a split with held-out test actors (or none), evaluate, and save it."""
    started = time.time()
    X, y, info = load_dataset(loader, spec)
    split = actor_split(info["actor"].to_numpy(), args.test_actor_list, args.val_actor_list, seed=args.seed)
    tag = spec.file_stem
    result = fit_and_evaluate(spec, X, y, split, loader.settings.to_dict(), args, tag, loader.synthetic)
    report_text = write_evaluation(result, spec, tag, f"{tag}.h5", args)
    metadata = {
        **result.config,
        "protocol": "holdout",
        "evaluated_on": result.evaluated_on,
        "metrics": result.metrics,
        "epochs_run": len(result.history["loss"]),
    }
    saved = [
        result.model.save(args.models_dir / f"{tag}{suffix}", metadata=metadata)
        for suffix in (".h5", ".keras")
    ]
    seconds = round(time.time() - started, 1)
    run_record = {**metadata, "versions": package_versions(), "seconds": seconds}
    (args.reports_dir / f"{tag}_run.json").write_text(json.dumps(run_record, indent=2) + "\n")
    print(report_text)
    print(f"saved {', '.join(map(str, saved))}, plots in {args.plots_dir}, reports in {args.reports_dir}")
    return {
        "model": spec.label,
        "data": data_label(loader.synthetic),
        "protocol": "holdout",
        "evaluated_on": result.evaluated_on,
        "actors": _ranges(result.actors),
        "samples": len(result.y_true),
        **{k: f"{v:.3f}" for k, v in result.metrics.items()},
        "epochs_run": metadata["epochs_run"],
        "seconds": seconds,
    }


def cross_validate(spec: ModelSpec, loader: RAVDESSDataLoader, args: argparse.Namespace) -> dict[str, object]:
    """K-fold cross-validation over actor groups; reports every fold and mean ± std across folds.

    No model file is kept: cross-validation measures the recipe. Train the model to use
    with ``--test-actors none``.
    """
    started = time.time()
    X, y, info = load_dataset(loader, spec)
    folds = actor_folds(info["actor"].to_numpy(), args.folds, seed=args.seed)
    fold_rows = []
    for index, split in enumerate(folds, start=1):
        tag = f"{spec.file_stem}_fold{index}"
        result = fit_and_evaluate(spec, X, y, split, loader.settings.to_dict(), args, tag, loader.synthetic)
        write_evaluation(result, spec, tag, f"fold {index} of {args.folds}, not saved", args)
        fold_rows.append(
            {
                "fold": index,
                "test_actors": _ranges(split.test_actors),
                "val_actors": _ranges(split.val_actors),
                "train_actors": _ranges(split.train_actors),
                "samples": len(result.y_true),
                **result.metrics,
                "epochs_run": len(result.history["loss"]),
            }
        )
        print(f"fold {index}: " + ", ".join(f"{k} {v:.3f}" for k, v in result.metrics.items()))
    folds_table = pd.DataFrame(fold_rows)
    folds_table.to_csv(args.reports_dir / f"{spec.file_stem}_cv_folds.csv", index=False)
    (args.reports_dir / f"{spec.file_stem}_cv_folds.md").write_text(
        folds_table.to_markdown(index=False, floatfmt=".3f") + "\n"
    )
    seconds = round(time.time() - started, 1)
    means = {m: float(folds_table[m].mean()) for m in ("accuracy", "uar", "macro_f1")}
    stds = {m: float(folds_table[m].std(ddof=1)) if len(folds_table) > 1 else 0.0 for m in means}
    run_record = {
        **{
            k: v
            for k, v in result.config.items()
            if k not in ("train_actors", "val_actors", "test_actors", "samples")
        },
        "protocol": f"{args.folds}-fold actor cross-validation",
        "folds": fold_rows,
        "mean": means,
        "std": stds,
        "versions": package_versions(),
        "seconds": seconds,
    }
    (args.reports_dir / f"{spec.file_stem}_cv_run.json").write_text(json.dumps(run_record, indent=2) + "\n")
    return {
        "model": spec.label,
        "data": data_label(loader.synthetic),
        "protocol": f"{args.folds}-fold CV",
        "evaluated_on": "test",
        "actors": _ranges(sorted(set(info["actor"].tolist()))),
        "samples": int(folds_table["samples"].sum()),
        **{m: f"{means[m]:.3f} ± {stds[m]:.3f}" for m in means},
        "epochs_run": int(folds_table["epochs_run"].mean()),
        "seconds": seconds,
    }


# --------------------------------------------------------------------------- command line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=(
            "Models: "
            + ", ".join(f"{s.name} (batch {s.batch_size}, {s.epochs} epochs)" for s in MODEL_SPECS.values())
            + ". Every split is by actor; a random split is deliberately not offered."
        ),
    )
    add_data_dir_argument(parser)
    parser.add_argument(
        "--models", default=",".join(MODEL_SPECS), help="comma-separated models to train (default: all five)"
    )
    parser.add_argument(
        "--preset",
        choices=tuple(PRESETS),
        default="seed",
        help="recipe for the audio models; feature options given here override it. "
        + "; ".join(f"{p.name}: {p.description}" for p in PRESETS.values())
        + " (default %(default)s)",
    )
    parser.add_argument(
        "--audio-model",
        choices=AUDIO_MODEL_CLASSES,
        default=None,
        help="network of the audio models instead of the preset's: AudioEmotionCNNLSTM reads MFCC images "
        "(--audio-features mfcc), the others functionals (default: the preset's)",
    )
    parser.add_argument(
        "--speed-perturbation",
        default=None,
        help="playback speeds of extra training copies of every training file of the audio models, e.g. "
        "0.9,1.1 ('none' for no copies); validation and test files are never copied "
        "(default: the preset's: none, or 0.9,0.95,1.05,1.1 for speech with --preset best)",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="epochs for every model (default: 50 audio, 60 with --preset best, 30 video/fusion)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="batch size (default: 16 audio, 32 with --preset best, 8 video/fusion)",
    )
    parser.add_argument(
        "--learning-rate", type=float, default=1e-3, help="Adam learning rate (default %(default)s)"
    )
    parser.add_argument(
        "--dropout", type=float, default=0.5, help="dropout before the classifier (default %(default)s)"
    )
    parser.add_argument(
        "--patience",
        type=int,
        default=None,
        help="early-stopping patience in epochs on validation loss; 0 trains every epoch "
        "(default: 10, 0 with --preset best)",
    )
    parser.add_argument(
        "--test-actors",
        default="21-24",
        help="actors held out for testing, e.g. 21-24 or 1,5,9; 'none' trains a final model on every actor "
        "(metrics are then on the validation actors) (default %(default)s)",
    )
    parser.add_argument(
        "--folds",
        type=int,
        default=None,
        help="K-fold cross-validation over actor groups instead of --test-actors: every actor is tested "
        "once, and mean ± std across folds is reported; no model file is kept (default: off)",
    )
    parser.add_argument(
        "--val-actors",
        default="auto",
        help="validation actors for early stopping; 'auto' draws 15%% of the training actors (default %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=42, help="random seed for splits and weights (default %(default)s)"
    )
    parser.add_argument("--models-dir", type=Path, default=Path("models"), help="default %(default)s")
    parser.add_argument("--plots-dir", type=Path, default=Path("plots"), help="default %(default)s")
    parser.add_argument("--reports-dir", type=Path, default=Path("reports"), help="default %(default)s")
    parser.add_argument(
        "--verbose", type=int, default=2, choices=(0, 1, 2), help="Keras fit verbosity (default %(default)s)"
    )
    parser.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="augment video and fusion training batches on the fly: flip, rotation ±10°, zoom 0.9-1.1, "
        "brightness and contrast; never for validation or test (default: on)",
    )
    parser.add_argument(
        "--refit",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="after early stopping, train a fresh model on the training and validation actors for the best "
        "epoch count; test actors stay unseen, and without test actors the validation metrics are taken "
        "before the refit (default: on with --preset best, off with seed)",
    )
    parser.add_argument(
        "--distribute",
        action="store_true",
        help="data-parallel training over all devices with keras.distribution.DataParallel "
        "(JAX backend only: KERAS_BACKEND=jax; batch size a multiple of the device count)",
    )
    add_feature_arguments(parser)
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.test_actor_list = parse_actor_list(args.test_actors)
        args.val_actor_list = None if args.val_actors == "auto" else parse_actor_list(args.val_actors)
        preset = PRESETS[args.preset]
        if args.refit is None:
            args.refit = preset.refit
        if args.patience is None:
            args.patience = preset.patience
        args.audio_settings = settings_from_args(args, preset.feature_settings())
        # --audio-features and --speaker-norm concern the audio models; video and fusion keep MFCCs.
        args.settings = settings_from_args(
            argparse.Namespace(**{**vars(args), "audio_features": None, "speaker_norm": None})
        )
    except ValueError as error:
        parser.error(str(error))
    if args.folds is not None and args.val_actor_list is not None:
        parser.error(
            "--val-actors cannot be combined with --folds: each fold draws its own from its training actors"
        )
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODEL_SPECS]
    if unknown or not names:
        parser.error(f"unknown model(s) {unknown}; choose from {', '.join(MODEL_SPECS)}")
    args.specs = [apply_preset(MODEL_SPECS[n], PRESETS[args.preset]) for n in names]
    try:
        audio_overrides = audio_spec_overrides(args.audio_model, args.speed_perturbation)
    except ValueError as error:
        parser.error(str(error))
    args.specs = [replace(s, **audio_overrides) if s.kind == "audio" else s for s in args.specs]
    if args.distribute:
        from distribute import DistributionError, enable_data_parallel

        try:
            enable_data_parallel([args.batch_size or spec.batch_size for spec in args.specs])
        except DistributionError as error:
            parser.error(str(error))
    return args


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
    table.to_csv(summary_path, index=False)
    warning = ""
    if (table["data"] == SYNTHETIC_DATA_LABEL).any():
        warning = f"**{SYNTHETIC_NOTICE}.** The rows marked `{SYNTHETIC_DATA_LABEL}` show that the pipeline runs.\n\n"
    (reports_dir / "summary.md").write_text(warning + table.to_markdown(index=False) + "\n")
    return table


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(
        f"Keras {keras.__version__} on {keras.backend.backend()}; data {args.data_dir}; preset {args.preset}"
    )
    if is_synthetic(args.data_dir):
        print(f"NOTE: {args.data_dir} holds {SYNTHETIC_NOTICE}")
    rows = []
    try:
        for spec in args.specs:
            settings = args.audio_settings if spec.kind == "audio" else args.settings
            loader = RAVDESSDataLoader(args.data_dir, settings, cache_dir=args.cache_dir, n_jobs=args.jobs)
            rows.append(
                cross_validate(spec, loader, args) if args.folds else train_holdout(spec, loader, args)
            )
    except (OSError, ValueError, MediaError, WorkerCrashError) as error:  # OSError: a full disk, say
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        if rows:
            table = write_summary(rows, args.reports_dir)
            print("\n" + table.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
