"""Speaker statistics: standardising a speaker's features from all, some or none of their recordings.

The ``--preset best`` audio model reads utterance functionals standardised within each
speaker. How well it knows a speaker's mean and spread depends on how many of their
recordings it has seen: all of a session's files (``batch``), a few unlabeled
enrollment recordings (``enrollment``), or none at all (``independent``). One
:class:`SpeakerPrior`, learned from the training speakers, serves all three: a
speaker's mean and variance are estimated from their ``k`` recordings and shrunk
toward the training population's, the more the fewer recordings there are, and with
``k = 0`` they are the population's. The model is trained on copies standardised in
each of these ways (:func:`enrollment_copies`), so one network reads all of them.

The shrinkage is empirical Bayes per feature: a feature whose mean varies much
between speakers (pitch, formants) trusts a few recordings; one that varies mostly
between emotions (loudness range) leans on the population. No labels are used.

Two kinds of audio features are standardised: a vector per recording (functionals,
``(n, n_features)``), and MFCC images (``(n, n_mfcc, max_frames)``), whose every
coefficient is standardised over the speaker's frames (the padding frames, all zero,
are left out of the statistics and stay zero). The statistics of a speaker are those of
their recordings' frames, a functionals row being a recording of one frame; a speaker's
number of recordings, not of frames, says how far to trust them.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ravdess_emotion.core.files import write_atomically
from ravdess_emotion.features.functionals import standardize_groups
from ravdess_emotion.features.settings import FeatureSettings

PRIOR_SCALE = 0.3
"""Multiplies each feature's empirical-Bayes prior strength (within / between-speaker variance).

Measured on real speech (5 actor folds, scikit-learn probe): 0.3 gave 0.653 with 10
enrollment recordings, 1.0 gave 0.644, a single strength of 3 for every feature 0.642.
"""
VARIANCE_PRIOR = 15.0
"""How many recordings' worth the population's within-speaker variance counts in a speaker's variance."""
ENROLLMENT_SIZES = (1, 3, 10)
"""Recordings per speaker of the training copies standardised as a small enrollment would be."""
SPEAKER_PATHS = ("batch", "enrollment", "independent")
"""The ways a model with a :class:`SpeakerPrior` meets a speaker: all given files, enrolled files, none."""
ENROLLMENT_AUDIO_KEYS = ("sample_rate", "n_mfcc", "max_frames", "n_fft", "hop_length", "audio_features")
"""The feature settings an enrollment's features depend on; a model must share them to use it."""


def speaker_recordings(features: np.ndarray, speakers: Sequence[Hashable]) -> tuple[np.ndarray, np.ndarray]:
    """``features`` as float64 recordings, (n, n_features) or (n, n_features, n_frames), and one speaker per recording.

    Raises
    ------
    ValueError
        When the features are neither shape or their recordings and the speakers differ in number.
    """
    features = np.asarray(features, dtype=np.float64)
    speakers = np.asarray(list(speakers))
    if features.ndim not in (2, 3) or len(features) != len(speakers):
        raise ValueError(
            "features must be (n, n_features) or (n, n_features, n_frames) with one speaker per recording; "
            f"got {features.shape} and {len(speakers)} speakers"
        )
    return features, speakers


def recording_frames(recordings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The frames of ``recordings`` as rows, and the recording of each.

    Parameters
    ----------
    recordings : np.ndarray, shape (k, n_features) or (k, n_features, n_frames)
        A functionals row is one frame; of an MFCC image every frame that is not
        padding (all zero) is one.

    Returns
    -------
    frames : np.ndarray, shape (m, n_features), float64
    recording : np.ndarray, shape (m,), int: the index in ``recordings`` of each frame
    """
    recordings = np.asarray(recordings, dtype=np.float64)
    if recordings.ndim == 2:
        return recordings, np.arange(len(recordings))
    frames = recordings.transpose(0, 2, 1)
    present = np.any(frames != 0, axis=2)
    return frames[present], np.nonzero(present)[0]


def frame_statistics(recordings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation per feature over the frames of ``recordings`` (:func:`recording_frames`).

    A feature constant over the frames gets a spread of 1, so that standardising leaves it at 0.

    Raises
    ------
    ValueError
        When ``recordings`` hold no frame.
    """
    frames, _ = recording_frames(recordings)
    if len(frames) == 0:
        raise ValueError("no recording with a frame to take statistics from")
    spread = frames.std(axis=0)
    return frames.mean(axis=0), np.where(spread > 1e-8, spread, 1.0)


def standardized(features: np.ndarray, mean: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """``(features - mean) / spread`` per feature, as float32; an MFCC image's padding frames stay zero.

    ``features`` is (n, n_features) or (n, n_features, n_frames); ``mean`` and ``spread`` are (n_features,).
    """
    features = np.asarray(features, dtype=np.float64)
    if features.ndim == 2:
        return ((features - mean) / spread).astype(np.float32)
    present = np.any(features != 0, axis=1, keepdims=True)
    scaled = (features - mean[:, None]) / spread[:, None]
    return np.where(present, scaled, 0.0).astype(np.float32)


def standardize_within_speakers(features: np.ndarray, speakers: Sequence[Hashable]) -> np.ndarray:
    """Every recording standardised by the exact statistics of all recordings of its speaker.

    Functionals rows as ``ravdess_emotion.features.functionals.speaker_normalize``; MFCC
    images per coefficient over the speaker's frames (:func:`frame_statistics`).

    Parameters
    ----------
    features : np.ndarray, shape (n, n_features) or (n, n_mfcc, max_frames)
    speakers : sequence, length n

    Returns
    -------
    np.ndarray, shaped like ``features``, float32

    Raises
    ------
    ValueError
        When a speaker has a single recording: there is nothing to normalize against.
    """
    features, speakers = speaker_recordings(features, speakers)
    return standardize_groups(features, speakers, lambda group: standardized(group, *frame_statistics(group)))


@dataclass(frozen=True)
class SpeakerPrior:
    """What the training speakers say about an unknown speaker, per feature.

    Attributes
    ----------
    mean : np.ndarray, shape (n_features,)
        Mean over every training recording.
    within_variance : np.ndarray, shape (n_features,)
        Mean over training speakers of the variance of their own recordings.
    mean_strength : np.ndarray, shape (n_features,)
        How many recordings' worth the population mean counts in a speaker's mean.
    variance_strength : float
        The same for the variance.
    """

    mean: np.ndarray
    within_variance: np.ndarray
    mean_strength: np.ndarray
    variance_strength: float = VARIANCE_PRIOR

    @classmethod
    def of_speakers(
        cls,
        features: np.ndarray,
        speakers: Sequence[Hashable],
        scale: float = PRIOR_SCALE,
        variance_strength: float = VARIANCE_PRIOR,
    ) -> SpeakerPrior:
        """The prior of the speakers of ``features``; at least two speakers of two recordings each.

        ``features`` is (n, n_features) or (n, n_features, n_frames) (:func:`recording_frames`).

        Raises
        ------
        ValueError
            When the shapes disagree or fewer than two speakers have two recordings.
        """
        features, speakers = speaker_recordings(features, speakers)
        groups = [features[speakers == s] for s in np.unique(speakers)]
        groups = [recording_frames(g) for g in groups if len(g) >= 2]
        if len(groups) < 2:
            raise ValueError("a speaker prior needs at least two speakers with two recordings each")
        within = np.mean([frames.var(axis=0) for frames, _ in groups], axis=0)
        means = np.stack([frames.mean(axis=0) for frames, _ in groups])
        # How much a speaker's mean moves with the recordings drawn: the spread of their
        # recordings' means (for functionals, of the recordings themselves).
        recording_spread = np.mean(
            [_recording_means(frames, index).var(axis=0) for frames, index in groups], axis=0
        )
        typical_count = float(np.mean([len(np.unique(index)) for _, index in groups]))
        # The spread of speaker means beyond what sampling their recordings explains.
        between = np.maximum(means.var(axis=0) - recording_spread / typical_count, 1e-3 * within + 1e-12)
        return cls(
            mean=recording_frames(features)[0].mean(axis=0),
            within_variance=np.maximum(within, 1e-12),
            mean_strength=scale * within / between,
            variance_strength=float(variance_strength),
        )

    @property
    def n_features(self) -> int:
        return len(self.mean)

    def statistics(self, recordings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A speaker's mean and standard deviation per feature from their ``recordings``; there may be none.

        ``recordings`` is (k, n_features) or (k, n_features, n_frames); the speaker's
        frames give the estimates, and k (recordings, not frames) how far they are trusted.
        """
        recordings = np.asarray(recordings, dtype=np.float64)
        if recordings.ndim < 2:
            recordings = recordings.reshape(-1, self.n_features)
        frames, _ = recording_frames(recordings)
        k = len(recordings)
        if k == 0 or len(frames) == 0:
            return self.mean, np.sqrt(self.within_variance)
        mean = (k * frames.mean(axis=0) + self.mean_strength * self.mean) / (k + self.mean_strength)
        variance = (k * frames.var(axis=0) + self.variance_strength * self.within_variance) / (
            k + self.variance_strength
        )
        return mean, np.sqrt(variance)

    def standardize(self, features: np.ndarray, recordings: np.ndarray) -> np.ndarray:
        """``features`` standardised by the statistics of one speaker's ``recordings``, as float32 (:func:`standardized`)."""
        return standardized(features, *self.statistics(recordings))

    def standardize_by_speaker(self, features: np.ndarray, speakers: Sequence[Hashable]) -> np.ndarray:
        """Every row standardised by the statistics of all rows of its speaker (the ``batch`` way)."""
        features = np.asarray(features)
        speakers = np.asarray(list(speakers))
        out = np.empty(features.shape, np.float32)
        for speaker in np.unique(speakers):
            rows = speakers == speaker
            out[rows] = self.standardize(features[rows], features[rows])
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (seven significant digits), for the metadata beside a model."""
        return {
            "mean": _rounded(self.mean),
            "within_variance": _rounded(self.within_variance),
            "mean_strength": _rounded(self.mean_strength),
            "variance_strength": self.variance_strength,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SpeakerPrior:
        """The prior :meth:`to_dict` wrote. Raises ``ValueError`` naming what is missing or inconsistent."""
        try:
            arrays = [
                np.asarray(data[key], dtype=np.float64)
                for key in ("mean", "within_variance", "mean_strength")
            ]
            strength = float(data["variance_strength"])
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not a speaker prior ({error!r})") from None
        if len({a.shape for a in arrays}) != 1 or arrays[0].ndim != 1 or (arrays[1] <= 0).any():
            raise ValueError("not a speaker prior: its arrays differ in shape or a variance is not positive")
        return cls(*arrays, variance_strength=strength)


def _recording_means(frames: np.ndarray, recording: np.ndarray) -> np.ndarray:
    """The mean frame of each recording, from :func:`recording_frames`."""
    if len(np.unique(recording)) == len(recording):  # a frame per recording: functionals
        return frames
    names, index = np.unique(recording, return_inverse=True)
    sums = np.zeros((len(names), frames.shape[1]))
    np.add.at(sums, index, frames)
    return sums / np.bincount(index)[:, None]


def _rounded(values: np.ndarray) -> list[float]:
    # Seven significant digits: float32's precision, in half the JSON of a full repr.
    return [float(f"{v:.7g}") for v in np.asarray(values, dtype=np.float64)]


def enrollment_copies(
    features: np.ndarray,
    speakers: Sequence[Hashable],
    prior: SpeakerPrior,
    sizes: Sequence[int] = ENROLLMENT_SIZES,
    rng: np.random.Generator | None = None,
) -> list[np.ndarray]:
    """Training copies of ``features`` standardised as the speaker-independent and enrollment ways would be.

    The first copy is standardised by the prior alone (no recording of the speaker
    known); then one per size ``k``: every speaker's rows by the statistics of ``k``
    of their recordings drawn at random (all of them when they have fewer).

    Returns
    -------
    list of np.ndarray, ``1 + len(sizes)`` arrays shaped like ``features``, float32, row for row
    """
    rng = rng or np.random.default_rng(0)
    features = np.asarray(features)
    speakers = np.asarray(list(speakers))
    copies = [prior.standardize(features, features[:0])]
    for k in sizes:
        copy = np.empty(features.shape, np.float32)
        for speaker in np.unique(speakers):
            rows = np.flatnonzero(speakers == speaker)
            drawn = rng.choice(rows, size=min(k, len(rows)), replace=False)
            copy[rows] = prior.standardize(features[rows], features[drawn])
        copies.append(copy)
    return copies


# --------------------------------------------------------------------------- stored enrollments


@dataclass(frozen=True)
class Enrollment:
    """A speaker's enrollment: the raw features of their unlabeled recordings, and what they were computed with.

    Stored as one small ``.npz`` per speaker (:meth:`save`), so that a speaker is
    enrolled once and the files are never decoded again.
    """

    speaker: str
    features: np.ndarray
    """(k, n_features), or (k, n_mfcc, max_frames) for MFCC images; raw (before any standardisation)."""
    settings: dict[str, Any]
    """The feature settings of :data:`ENROLLMENT_AUDIO_KEYS` they were computed with."""
    sources: tuple[str, ...] = ()
    """The recordings, for the record."""

    @classmethod
    def of_recordings(
        cls, speaker: str, features: np.ndarray, settings: FeatureSettings, sources: Sequence[str] = ()
    ) -> Enrollment:
        return cls(speaker, np.asarray(features, np.float32), enrollment_settings(settings), tuple(sources))

    def save(self, folder: str | Path) -> Path:
        """Write ``<folder>/<speaker>.npz`` atomically and return its path."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{safe_file_stem(self.speaker)}.npz"
        description = {"speaker": self.speaker, "settings": self.settings, "sources": list(self.sources)}
        text = np.array(json.dumps(description))
        write_atomically(path, lambda stream: np.savez(stream, features=self.features, description=text))
        return path

    @classmethod
    def load(cls, path: str | Path) -> Enrollment:
        """Read a file :meth:`save` wrote. Raises ``ValueError`` naming the file when it is not one."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as stored:
                features = np.asarray(stored["features"], np.float32)
                description = json.loads(str(stored["description"]))
            return cls(
                str(description["speaker"]),
                features,
                dict(description["settings"]),
                tuple(description["sources"]),
            )
        except (OSError, KeyError, ValueError, TypeError) as error:
            raise ValueError(f"{path}: not an enrollment file written by predict.py ({error})") from None

    def check_settings(self, settings: FeatureSettings, where: str) -> None:
        """Raise ``ValueError`` when this enrollment's features were computed with other settings than ``settings``."""
        wanted = enrollment_settings(settings)
        differ = [
            f"{k} {self.settings.get(k)!r} (the model: {v!r})"
            for k, v in wanted.items()
            if self.settings.get(k) != v
        ]
        if differ:
            raise ValueError(
                f"{where}: enrolled with other feature settings than this model's ({', '.join(differ)}); "
                "enroll again from the recordings with this model"
            )
        if self.features.ndim not in (2, 3) or len(self.features) == 0:
            raise ValueError(f"{where}: holds no recordings")


def enrollment_settings(settings: FeatureSettings) -> dict[str, Any]:
    """The part of ``settings`` that an enrollment's features depend on."""
    values = settings.to_dict()
    return {key: values[key] for key in ENROLLMENT_AUDIO_KEYS}


def safe_file_stem(name: str) -> str:
    """``name`` as a file name: letters, digits, ``-``, ``_`` and ``.``; anything else becomes ``_``."""
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip(".")
    return stem or "speaker"
