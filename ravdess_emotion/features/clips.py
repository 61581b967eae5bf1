"""Clips of the frame store as a dataset: files indexed like an array, and frames scaled for the models.

It needs only NumPy, so batches can be read (``ravdess_emotion.batches``) on a machine
that has the frame files but not the audio and video decoding stack.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ravdess_emotion.core.errors import MediaError


def scale_frames(frames: np.ndarray) -> np.ndarray:
    """uint8 frames (any shape) as float32 in [0, 1]; float input is taken as already scaled."""
    if frames.dtype != np.uint8:
        return np.asarray(frames, dtype=np.float32)
    out = frames.astype(np.float32)
    out *= 1.0 / 255.0
    return out


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

    def __getitem__(self, rows: np.ndarray | Sequence[int]) -> ClipSet:
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
    def input_shape(self) -> tuple[int, ...] | tuple[tuple[int, ...], tuple[int, ...]]:
        """What ``EmotionModel.build_model`` takes: the video shape, or (audio shape, video shape) for fusion."""
        if self.audio is None:
            return self.video_shape
        return (tuple(self.audio.shape[1:]), self.video_shape)

    def load_frames(self, rows: np.ndarray | Sequence[int] | None = None) -> np.ndarray:
        """The stored uint8 frames of ``rows`` (all clips when None), shape (len(rows), frames, h, w, 3).

        Raises
        ------
        MediaError
            When a cache file is unreadable or holds frames of another shape; the
            message names the file.
        """
        rows = np.arange(len(self)) if rows is None else np.asarray(rows)
        if isinstance(self.clips, np.ndarray):
            return self.clips[rows]
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
        if batch is None:
            raise ValueError("load_frames needs at least one row")
        return batch
