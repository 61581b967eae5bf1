"""Streaming video (and fusion) batches from the on-disk frame cache, for Keras training with bounded memory.

``video_features.FrameCache`` holds one uint8 ``.npy`` per clip. A :class:`ClipSet` is a
list of those files (and, for fusion, the MFCCs of each take's audio, row for row);
:class:`VideoBatches` is the ``keras.utils.PyDataset`` that reads one batch at a time
from it (memory-mapped), scales it to float32 in [0, 1] and, for training only,
augments it. Memory therefore depends on the batch size, never on the number of clips::

    clips, y, info = loader.video_cache("video", "speech")     # fills the frame cache
    train = clips[train_rows].batches(y[train_rows], batch_size=8, shuffle=True, augment=True)
    val = clips[val_rows].batches(y[val_rows], batch_size=8)
    model.train(train, None, val, None, epochs=30)

This module imports Keras; ``video_features`` (extraction) does not, so extraction
workers stay light. Reading batches needs only NumPy and Keras (OpenCV to augment), so
a GPU machine can train from a copied cache without the audio and media stack.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import keras_backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import keras
import numpy as np

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


def scale_batch(frames: np.ndarray) -> np.ndarray:
    """uint8 frames as float32 in [0, 1] (float input is taken as already scaled)."""
    if frames.dtype != np.uint8:
        return frames.astype(np.float32, copy=False)
    out = frames.astype(np.float32)
    out *= 1.0 / 255.0
    return out


# --------------------------------------------------------------------------- clips and batches


class ClipSet:
    """Clips as cached frame files (or an in-memory uint8 array), with the paired audio for fusion.

    Indexing with row numbers or a mask gives the subset, as with an array, so the
    training code splits it like any other dataset.

    Parameters
    ----------
    clips
        One ``.npy`` file per clip (uint8, (frames, height, width, 3)), or an array
        (n, frames, height, width, 3).
    audio
        For fusion: MFCCs (n, n_mfcc, max_frames), row ``i`` of the take of clip ``i``.
    folder
        The cache folder the files are in (for messages).
    """

    def __init__(
        self,
        clips: Sequence[str | Path] | np.ndarray,
        audio: np.ndarray | None = None,
        folder: Path | None = None,
    ) -> None:
        self.clips = clips if isinstance(clips, np.ndarray) else [Path(c) for c in clips]
        self.audio = None if audio is None else np.asarray(audio, dtype=np.float32)
        if self.audio is not None and len(self.audio) != len(self.clips):
            raise ValueError(f"{len(self.audio)} audio rows for {len(self.clips)} clips")
        self.folder = folder

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, rows) -> ClipSet:
        rows = np.asarray(rows)
        if rows.dtype == bool:
            rows = np.flatnonzero(rows)
        clips = self.clips[rows] if isinstance(self.clips, np.ndarray) else [self.clips[i] for i in rows]
        return ClipSet(clips, None if self.audio is None else self.audio[rows], self.folder)

    @property
    def video_shape(self) -> tuple[int, ...]:
        """(frames, height, width, 3) of one clip."""
        if isinstance(self.clips, np.ndarray):
            return tuple(self.clips.shape[1:])
        return tuple(np.load(self.clips[0], mmap_mode="r").shape)

    @property
    def input_shape(self):
        """What ``EmotionModel.build_model`` takes: the video shape, or (audio shape, video shape) for fusion."""
        if self.audio is None:
            return self.video_shape
        return (tuple(self.audio.shape[1:]), self.video_shape)

    def batches(self, y: np.ndarray | None = None, batch_size: int = 8, **kwargs) -> VideoBatches:
        """A :class:`VideoBatches` over these clips; keyword arguments go to it."""
        return VideoBatches(self, y, batch_size=batch_size, **kwargs)


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
        self.clips = clips if isinstance(clips, np.ndarray) else [Path(c) for c in clips]
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
            frames = scale_batch(frames)
        inputs = frames if self.audio is None else (self.audio[rows], frames)
        return (inputs,) if self.y is None else (inputs, self.y[rows])

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self.order = self._order()

    def load_frames(self, rows: np.ndarray) -> np.ndarray:
        """The cached frames of ``rows``, as stored (uint8), shape (len(rows), frames, h, w, 3)."""
        if isinstance(self.clips, np.ndarray):
            return self.clips[rows]
        from data_loader import MediaError

        batch = None
        for i, row in enumerate(rows):
            path = self.clips[row]
            try:
                clip = np.load(path, mmap_mode="r", allow_pickle=False)
            except (OSError, ValueError) as error:
                raise MediaError(
                    f"{path}: unreadable frame cache file ({error}); delete it to re-extract"
                ) from error
            if batch is None:
                batch = np.empty((len(rows), *clip.shape), clip.dtype)
            if clip.shape != batch.shape[1:]:
                raise MediaError(f"{path}: frames of shape {clip.shape}, expected {batch.shape[1:]}")
            batch[i] = clip
            del clip  # unmap now, not at garbage collection
        return batch

    @property
    def adaptation_inputs(self) -> list[np.ndarray] | None:
        """What ``EmotionModel`` adapts its MFCC normalization on: all the paired audio (fusion), else None."""
        return None if self.audio is None else [self.audio]

    def _order(self) -> np.ndarray:
        order = np.arange(len(self.clips))
        if self.shuffle:
            np.random.default_rng([self.seed, self.epoch]).shuffle(order)
        return order
