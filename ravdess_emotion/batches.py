"""Training inputs: one small protocol over every way a dataset is held, and streamed video batches.

The training code (``ravdess_emotion.training``) asks a dataset three things, whatever
holds it: the input shape, the rows to fit on, and the rows to evaluate or predict.
:class:`TrainingInputs` is that protocol; :func:`as_training_inputs` wraps what the
loader returns:

- :class:`ArrayInputs`: features in memory, one array or an ``[audio, video]`` pair;
- :class:`SpeedCopies`: audio features with speed-perturbed copies of the same files,
  which only the training rows bring along;
- :class:`SpeakerStandardizedCopies`: raw audio features standardised per speaker with
  a :class:`~ravdess_emotion.features.speakers.SpeakerPrior` learned from the training
  rows, with copies standardised as an enrollment or no knowledge of the speaker would be;
- :class:`StreamedClips`: a ``ClipSet`` of the frame store, read as :class:`VideoBatches`.

:class:`MixupBatches` mixes training examples pairwise (mixup) for the models whose
hyperparameters ask for it.

:class:`VideoBatches` is the ``keras.utils.PyDataset`` that reads one batch at a time
from the frame store (memory-mapped), scales it to float32 in [0, 1] and, for training
only, augments it. Memory therefore depends on the batch size, never on the number of
clips::

    clips, y, info = loader.video_cache("video", "speech")     # fills the frame store
    train = VideoBatches(clips[train_rows], y[train_rows], batch_size=8, shuffle=True, augment=True)
    val = VideoBatches(clips[val_rows], y[val_rows], batch_size=8)
    model.train(train, None, val, None, epochs=30)

This module imports Keras; extraction (``ravdess_emotion.features``) does not, so
extraction workers stay light. Reading batches needs only NumPy and Keras (OpenCV to
augment), so a GPU machine can train from a copied cache without the audio and media stack.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import keras
import numpy as np

from ravdess_emotion.features.clips import ClipSet, scale_frames
from ravdess_emotion.features.speakers import ENROLLMENT_SIZES, SpeakerPrior, enrollment_copies

# --------------------------------------------------------------------------- augmentation


@dataclass(frozen=True)
class Augmentation:
    """Random changes drawn once per clip (so all its frames move together), per batch, on the fly.

    Attributes
    ----------
    flip : float
        Probability of a horizontal flip.
    rotation : float
        Rotation drawn uniformly from ±``rotation`` degrees.
    zoom : (float, float)
        Scale drawn uniformly from this range (above 1 zooms in).
    brightness : float
        Added to every pixel (scale [0, 1]), drawn from ±``brightness``.
    contrast : (float, float)
        Factor on the distance from the clip's mean grey, drawn from this range.
    """

    flip: float = 0.5
    rotation: float = 10.0
    zoom: tuple[float, float] = (0.9, 1.1)
    brightness: float = 0.1
    contrast: tuple[float, float] = (0.8, 1.2)


def augment_batch(
    frames: np.ndarray, rng: np.random.Generator, params: Augmentation | None = None
) -> np.ndarray:
    """Augmented copy of a uint8 batch (batch, frames, height, width, 3), as float32 in [0, 1].

    One affine warp per clip (flip, rotation and zoom about the centre, borders
    reflected) with OpenCV, then brightness and contrast with NumPy.
    """
    import cv2

    params = params or Augmentation()
    out = np.empty(frames.shape, np.float32)
    _, _, height, width, _ = frames.shape
    flip_matrix = np.array([[-1.0, 0.0, width - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    for i, clip in enumerate(frames):
        angle = rng.uniform(-params.rotation, params.rotation)
        scale = rng.uniform(*params.zoom)
        matrix = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), angle, scale)
        if rng.random() < params.flip:
            matrix = matrix @ flip_matrix  # flip first, then rotate and zoom
        for j, frame in enumerate(clip):
            out[i, j] = cv2.warpAffine(
                frame, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101
            )
        contrast = rng.uniform(*params.contrast)
        brightness = rng.uniform(-params.brightness, params.brightness)
        view = out[i]
        mean = float(view.mean()) / 255.0
        view *= contrast / 255.0
        view += mean * (1.0 - contrast) + brightness
        np.clip(view, 0.0, 1.0, out=view)
    return out


# --------------------------------------------------------------------------- clips and batches


class VideoBatches(keras.utils.PyDataset):
    """Batches of clips read from the frame cache, scaled per batch, augmented only for training.

    Each batch is ``(frames, y)``, or ``((audio, frames), y)`` with paired audio
    (fusion), or without ``y`` when no labels are given (prediction). Frames are
    float32 (batch, frames, height, width, 3) in [0, 1].

    Parameters
    ----------
    clips
        A :class:`ClipSet`, a list of cache files, or a uint8 array (n, frames, h, w, 3).
    y
        Class indices (n,), or None.
    batch_size
        Clips per batch; the last batch holds the rest.
    shuffle
        Reorder the clips every epoch (seeded by ``seed`` and the epoch).
    augment
        Apply :func:`augment_batch` (training only; leave off for evaluation).
    audio
        Paired MFCCs (n, n_mfcc, max_frames); taken from a ClipSet when not given.
    seed
        Seed of the order and of the augmentation; batch ``i`` of epoch ``e`` is the same
        on every run, whichever worker thread builds it.
    augmentation
        The ranges of :func:`augment_batch`.
    **kwargs
        ``workers``, ``use_multiprocessing``, ``max_queue_size`` of ``keras.utils.PyDataset``.
    """

    def __init__(
        self,
        clips: ClipSet | Sequence[str | Path] | np.ndarray,
        y: np.ndarray | None = None,
        batch_size: int = 8,
        shuffle: bool = False,
        augment: bool = False,
        audio: np.ndarray | None = None,
        seed: int = 0,
        augmentation: Augmentation | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(clips, ClipSet):
            audio = clips.audio if audio is None else audio
            clips = clips.clips
        self.store = ClipSet(clips)
        self.clips = self.store.clips
        if len(self.clips) == 0:
            raise ValueError("VideoBatches needs at least one clip")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.y = None if y is None else np.asarray(y, dtype=np.int64)
        self.audio = None if audio is None else np.asarray(audio, dtype=np.float32)
        for name, values in (("labels", self.y), ("audio rows", self.audio)):
            if values is not None and len(values) != len(self.clips):
                raise ValueError(f"{len(values)} {name} for {len(self.clips)} clips")
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.augment = augment
        self.seed = seed
        self.augmentation = augmentation or Augmentation()
        self.epoch = 0
        self.order = self._order()

    def __len__(self) -> int:
        return math.ceil(len(self.clips) / self.batch_size)

    def __getitem__(self, index: int):
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} of {len(self)}")
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        frames = self.load_frames(rows)
        if self.augment:
            rng = np.random.default_rng([self.seed, self.epoch, index])
            frames = augment_batch(frames, rng, self.augmentation)
        else:
            frames = scale_frames(frames)
        inputs = frames if self.audio is None else (self.audio[rows], frames)
        return (inputs,) if self.y is None else (inputs, self.y[rows])

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self.order = self._order()

    def load_frames(self, rows: np.ndarray) -> np.ndarray:
        """The cached frames of ``rows``, as stored (uint8), shape (len(rows), frames, h, w, 3)."""
        return self.store.load_frames(rows)

    @property
    def adaptation_inputs(self) -> list[np.ndarray] | None:
        """What ``EmotionModel`` adapts its MFCC normalization on: all the paired audio (fusion), else None."""
        return None if self.audio is None else [self.audio]

    def _order(self) -> np.ndarray:
        order = np.arange(len(self.clips))
        if self.shuffle:
            np.random.default_rng([self.seed, self.epoch]).shuffle(order)
        return order


# --------------------------------------------------------------------------- mixup


class MixupBatches(keras.utils.PyDataset):
    """Training batches of arrays mixed pairwise: mixup (Zhang et al. 2018).

    Each batch is drawn from a new shuffle of the rows; every example is replaced by
    ``λ x_i + (1 − λ) x_j`` with a random partner ``j`` of the same batch, and its
    one-hot label likewise, ``λ`` drawn from Beta(α, α) per example.

    Parameters
    ----------
    X : np.ndarray
        Inputs, shape (n, ...).
    y : np.ndarray
        One-hot (or smoothed) labels, shape (n, classes).
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, batch_size: int, alpha: float, seed: int = 0) -> None:
        super().__init__()
        X, y = np.asarray(X), np.asarray(y, dtype=np.float32)
        if y.ndim != 2 or len(y) != len(X):
            raise ValueError(
                f"mixup needs one-hot labels (n, classes) for the n inputs; got {y.shape} for {len(X)}"
            )
        if alpha <= 0:
            raise ValueError(f"mixup's alpha must be positive, got {alpha}")
        self.X, self.y, self.batch_size, self.alpha = X, y, int(batch_size), float(alpha)
        self._rng = np.random.default_rng(seed)
        self._order = self._rng.permutation(len(X))

    def __len__(self) -> int:
        return math.ceil(len(self.X) / self.batch_size)

    def on_epoch_end(self) -> None:
        self._order = self._rng.permutation(len(self.X))

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        rows = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        # A generator of its own per batch: the same batch whatever thread asks for it, and when.
        rng = np.random.default_rng([int(rows[0]), index, len(self.X)])
        weight = rng.beta(self.alpha, self.alpha, len(rows)).astype(np.float32)
        partner = rows[rng.permutation(len(rows))]
        shape = (len(rows),) + (1,) * (self.X.ndim - 1)
        X = weight.reshape(shape) * self.X[rows] + (1 - weight.reshape(shape)) * self.X[partner]
        y = weight[:, None] * self.y[rows] + (1 - weight[:, None]) * self.y[partner]
        return X.astype(np.float32), y


# --------------------------------------------------------------------------- training inputs


@runtime_checkable
class TrainingInputs(Protocol):
    """A dataset as the training code uses it, row for row with its labels."""

    def __len__(self) -> int: ...

    @property
    def input_shape(self) -> Any:
        """What ``EmotionModel.build_model`` takes: one shape, or (audio shape, video shape)."""
        ...

    @property
    def streams(self) -> bool:
        """Whether the inputs are read batch by batch from the frame store (and can be augmented)."""
        ...

    def fit_data(
        self, rows: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool, augment: bool, seed: int
    ) -> tuple[Any, np.ndarray | None]:
        """``(inputs, labels)`` to train on ``rows`` of the dataset with labels ``y`` (of every row)."""
        ...

    def eval_data(
        self, rows: np.ndarray, y: np.ndarray | None = None, batch_size: int = 8
    ) -> tuple[Any, np.ndarray | None]:
        """``(inputs, labels)`` of ``rows`` to validate on (``y`` given) or to predict (``y`` None)."""
        ...


@dataclass(frozen=True)
class ArrayInputs:
    """Features in memory: one array (n, ...) or a pair ``[audio (n, ...), video (n, ...)]``."""

    arrays: np.ndarray | tuple[np.ndarray, ...]
    streams: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        if isinstance(self.arrays, list | tuple):
            object.__setattr__(self, "arrays", tuple(self.arrays))

    def __len__(self) -> int:
        return len(self.arrays[0] if isinstance(self.arrays, tuple) else self.arrays)

    @property
    def input_shape(self) -> Any:
        if isinstance(self.arrays, tuple):
            return tuple(x.shape[1:] for x in self.arrays)
        return self.arrays.shape[1:]

    def take(self, rows: np.ndarray) -> np.ndarray | list[np.ndarray]:
        """The features of ``rows``: an array, or a list ``[audio, video]``."""
        if isinstance(self.arrays, tuple):
            return [x[rows] for x in self.arrays]
        return self.arrays[rows]

    def fit_data(self, rows, y, batch_size, shuffle, augment, seed):
        return self.take(rows), y[rows]

    def eval_data(self, rows, y=None, batch_size=8):
        return self.take(rows), None if y is None else y[rows]


@dataclass(frozen=True)
class SpeedCopies:
    """Audio features with speed-perturbed copies of the same files, for training.

    Training rows come with their copies (:meth:`training_rows`); every other use
    (validation, test, shapes) sees only ``original``. ``companions`` are further inputs
    of the same takes that speed does not change (the faces of an audio+AU model): each
    copy of a row is paired with the row's companions.
    """

    original: np.ndarray
    copies: list[np.ndarray]
    companions: tuple[np.ndarray, ...] = ()
    streams: bool = field(default=False, init=False)

    def __len__(self) -> int:
        return len(self.original)

    @property
    def input_shape(self) -> Any:
        if self.companions:
            return (self.original.shape[1:], *(c.shape[1:] for c in self.companions))
        return self.original.shape[1:]

    def training_rows(self, rows: np.ndarray) -> np.ndarray | list[np.ndarray]:
        """The original ``rows``, then the same rows of each copy, stacked: (len(rows) * (1 + copies), ...).

        With companions, a list: the stacked audio, then each companion repeated as often.
        """
        audio = np.concatenate([self.original[rows], *(copy[rows] for copy in self.copies)])
        if not self.companions:
            return audio
        return [audio, *(np.concatenate([c[rows]] * (1 + len(self.copies))) for c in self.companions)]

    def fit_data(self, rows, y, batch_size, shuffle, augment, seed):
        return self.training_rows(rows), np.tile(y[rows], 1 + len(self.copies))

    def eval_data(self, rows, y=None, batch_size=8):
        inputs = (
            [self.original[rows], *(c[rows] for c in self.companions)]
            if self.companions
            else self.original[rows]
        )
        return inputs, None if y is None else y[rows]


@dataclass
class SpeakerStandardizedCopies:
    """Raw audio features that training standardises per speaker in every way a prediction can.

    :meth:`fit_data` learns a :class:`~ravdess_emotion.features.speakers.SpeakerPrior`
    from the training rows (their speakers at the original speed) and returns, for the
    original and each speed copy (each copy a speaker of its own), the rows standardised
    by all of their speaker's training rows, by the prior alone (the speaker-independent
    way), and by ``enrollment_sizes`` random recordings of the speaker (enrollment).
    :meth:`eval_data` standardises each speaker's rows by all of them (the ``batch`` way)
    with the prior of the last fit, the one the model trained with; :meth:`model_metadata`
    is that prior, for the model file.
    """

    original: np.ndarray
    speakers: np.ndarray
    copies: list[np.ndarray] = field(default_factory=list)
    enrollment_sizes: tuple[int, ...] = ENROLLMENT_SIZES
    seed: int = 0
    prior: SpeakerPrior | None = field(default=None, init=False)
    streams: bool = field(default=False, init=False)

    def __len__(self) -> int:
        return len(self.original)

    @property
    def input_shape(self) -> Any:
        return self.original.shape[1:]

    def fit_data(self, rows, y, batch_size, shuffle, augment, seed):
        self.prior = SpeakerPrior.of_speakers(self.original[rows], self.speakers[rows])
        rng = np.random.default_rng([self.seed, len(rows)])
        parts = []
        for version in (self.original, *self.copies):
            features, speakers = version[rows], self.speakers[rows]
            parts.append(self.prior.standardize_by_speaker(features, speakers))
            parts.extend(enrollment_copies(features, speakers, self.prior, self.enrollment_sizes, rng))
        return np.concatenate(parts), np.tile(y[rows], len(parts))

    def eval_data(self, rows, y=None, batch_size=8):
        if self.prior is None:
            raise RuntimeError("SpeakerStandardizedCopies: fit_data() sets the prior that eval_data() uses")
        features = self.prior.standardize_by_speaker(self.original[rows], self.speakers[rows])
        return features, None if y is None else y[rows]

    def model_metadata(self) -> dict[str, Any]:
        """What a model trained on the last :meth:`fit_data` needs to standardise new speakers the same way."""
        if self.prior is None:
            return {}
        return {"speaker_prior": self.prior.to_dict(), "enrollment_sizes": list(self.enrollment_sizes)}


@dataclass(frozen=True)
class StreamedClips:
    """Clips of the frame store, read as :class:`VideoBatches` (labels travel inside the batches)."""

    clips: ClipSet
    streams: bool = field(default=True, init=False)

    def __len__(self) -> int:
        return len(self.clips)

    @property
    def input_shape(self) -> Any:
        return self.clips.input_shape

    def fit_data(self, rows, y, batch_size, shuffle, augment, seed):
        batches = VideoBatches(
            self.clips[rows], y[rows], batch_size, shuffle=shuffle, augment=augment, seed=seed
        )
        return batches, None

    def eval_data(self, rows, y=None, batch_size=8):
        return VideoBatches(self.clips[rows], None if y is None else y[rows], batch_size), None


def as_training_inputs(X: TrainingInputs | ClipSet | np.ndarray | Sequence[np.ndarray]) -> TrainingInputs:
    """The :class:`TrainingInputs` of what the loader returns: a ClipSet streams, arrays stay in memory."""
    if isinstance(X, TrainingInputs):
        return X
    if isinstance(X, ClipSet):
        return StreamedClips(X)
    return ArrayInputs(X)  # a list [audio, video] becomes a tuple there
