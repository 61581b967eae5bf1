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
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ravdess_emotion.core.files import write_atomically
from ravdess_emotion.features.functionals import speaker_rows
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
        """The prior of the speakers of ``features`` (n, n_features); at least two speakers of two recordings each.

        Raises
        ------
        ValueError
            When the shapes disagree or fewer than two speakers have two recordings.
        """
        features, speakers = speaker_rows(features, speakers)
        groups = [features[speakers == s] for s in np.unique(speakers)]
        groups = [g for g in groups if len(g) >= 2]
        if len(groups) < 2:
            raise ValueError("a speaker prior needs at least two speakers with two recordings each")
        within = np.mean([g.var(axis=0) for g in groups], axis=0)
        means = np.stack([g.mean(axis=0) for g in groups])
        typical_count = float(np.mean([len(g) for g in groups]))
        # The spread of speaker means beyond what sampling their recordings explains.
        between = np.maximum(means.var(axis=0) - within / typical_count, 1e-3 * within + 1e-12)
        return cls(
            mean=features.mean(axis=0),
            within_variance=np.maximum(within, 1e-12),
            mean_strength=scale * within / between,
            variance_strength=float(variance_strength),
        )

    @property
    def n_features(self) -> int:
        return len(self.mean)

    def statistics(self, recordings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A speaker's mean and standard deviation per feature from their ``recordings`` (k, n_features); k may be 0."""
        recordings = np.asarray(recordings, dtype=np.float64).reshape(-1, self.n_features)
        k = len(recordings)
        if k == 0:
            return self.mean, np.sqrt(self.within_variance)
        mean = (k * recordings.mean(axis=0) + self.mean_strength * self.mean) / (k + self.mean_strength)
        variance = (k * recordings.var(axis=0) + self.variance_strength * self.within_variance) / (
            k + self.variance_strength
        )
        return mean, np.sqrt(variance)

    def standardize(self, features: np.ndarray, recordings: np.ndarray) -> np.ndarray:
        """``features`` (n, n_features) standardised by the statistics of one speaker's ``recordings``, as float32."""
        mean, spread = self.statistics(recordings)
        return ((np.asarray(features, dtype=np.float64) - mean) / spread).astype(np.float32)

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
    """(k, n_features), raw (before any standardisation)."""
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
        if self.features.ndim != 2 or len(self.features) == 0:
            raise ValueError(f"{where}: holds no recordings")


def enrollment_settings(settings: FeatureSettings) -> dict[str, Any]:
    """The part of ``settings`` that an enrollment's features depend on."""
    values = settings.to_dict()
    return {key: values[key] for key in ENROLLMENT_AUDIO_KEYS}


def safe_file_stem(name: str) -> str:
    """``name`` as a file name: letters, digits, ``-``, ``_`` and ``.``; anything else becomes ``_``."""
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip(".")
    return stem or "speaker"
