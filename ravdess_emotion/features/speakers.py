"""Standardising features by speaker: from all, some or none of a speaker's recordings. The one place it is done.

Every speaker differs in pitch range, timbre, recording level and how strongly their
face shows an expression; standardising each feature within a speaker removes much of
that, using no labels. Training, prediction and the benchmarks all standardise here:

- :func:`standardize_within_speakers`: every recording by the exact statistics of all
  recordings of its speaker (a session's files, or the actor's), as a feature view's
  ``speaker_normalization`` asks (``zscore``, or ``zscore+rank`` for clip vectors, which
  adds each recording's rank among its speaker's as a normal score);
- :class:`SpeakerPrior`: what the training speakers say about an unknown speaker. A
  speaker's mean and variance are estimated from their ``k`` recordings and shrunk
  toward the training population's, the more the fewer recordings there are; with
  ``k = 0`` they are the population's. One prior serves the three ways a model meets a
  speaker (:data:`SPEAKER_PATHS`): all of a session's files (``batch``), a few unlabeled
  enrollment recordings (``enrollment``), or none at all (``independent``). The model is
  trained on copies standardised in each of these ways (:func:`enrollment_copies`), so
  one network reads all of them;
- :func:`standardize_by_ways`: the files of a prediction, each by the way its inputs allow.

The shrinkage is empirical Bayes per feature: a feature whose mean varies much
between speakers (pitch, formants) trusts a few recordings; one that varies mostly
between emotions (loudness range) leans on the population.

How a recording's features hold their frames is its view's ``layout``
(``ravdess_emotion.features.views.LAYOUTS``): a vector per recording (``rows``); an MFCC
image (``coefficient_frames``: (n_coefficients, n_frames), every coefficient over the
speaker's frames, the all-zero padding frames left out and kept at zero); or a sequence
(``frame_rows``: (n_frames, n_features), every frame counting). The statistics of a
speaker are those of their recordings' frames; their number of recordings, not of
frames, says how far to trust them.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtri
from scipy.stats import rankdata

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
NORMALIZATIONS = ("none", "zscore", "zscore+rank")
"""How features are standardised within a speaker (``FeatureView.speaker_normalization``)."""
MIN_BATCH_FILES = 2
"""A speaker with fewer files among those predicted is predicted without speaker statistics (if the model can)."""


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
        A row (layout ``rows``) is one frame; of an MFCC image (``coefficient_frames``)
        every frame that is not padding (all zero) is one.

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


def standardize_within_speakers(
    features: np.ndarray, speakers: Sequence[Hashable], how: str = "zscore", layout: str | None = None
) -> np.ndarray:
    """Every recording standardised by the exact statistics of all recordings of its speaker.

    Parameters
    ----------
    features : np.ndarray
        (n, n_features) vectors, (n, n_coefficients, n_frames) MFCC images or
        (n, n_frames, n_features) sequences, as ``layout`` says.
    speakers : sequence, length n
        The speaker of each recording (an actor number, a folder name, ...).
    how : {"none", "zscore", "zscore+rank"}
        ``zscore+rank`` (vectors only) appends each recording's rank among its speaker's,
        per feature, as a normal score (:func:`speaker_ranks`): twice the features.
    layout : {"rows", "coefficient_frames", "frame_rows"}, optional
        By default ``rows`` for 2-D features and ``coefficient_frames`` for 3-D ones.

    Returns
    -------
    np.ndarray, float32: zero mean and unit variance per speaker and feature (a feature
    constant within a speaker is 0); ``how="none"`` returns ``features`` unchanged.

    Raises
    ------
    ValueError
        When a speaker has a single recording (there is nothing to standardise against),
        or ``how`` does not fit the layout.
    """
    if how not in NORMALIZATIONS:
        raise ValueError(f"how must be one of {', '.join(NORMALIZATIONS)}; got {how!r}")
    if how == "none":
        return np.asarray(features)
    features = np.asarray(features)
    layout = layout or ("rows" if features.ndim == 2 else "coefficient_frames")
    speakers = np.asarray(list(speakers))
    if len(speakers) != len(features):
        raise ValueError(
            f"features need one speaker per recording; got {features.shape} and {len(speakers)} speakers"
        )
    names, counts = np.unique(speakers, return_counts=True)
    if (counts < 2).any():
        raise ValueError(
            f"speaker {names[counts < 2][0].item()!r} has one recording: per-speaker normalization needs "
            "several recordings of each speaker"
        )
    if layout == "frame_rows":
        if how != "zscore" or features.ndim != 3:
            raise ValueError(
                f"sequences (n, frames, features) are standardised with 'zscore' or 'none', not {how!r}"
            )
        n, frames, width = features.shape
        flat = standardize_within_speakers(
            features.reshape(n * frames, width), np.repeat(np.asarray(list(speakers)), frames)
        )
        return flat.reshape(n, frames, width)
    if how == "zscore+rank" and features.ndim != 2:
        raise ValueError("'zscore+rank' ranks vectors (n, n_features), not frames")
    recordings, speakers = speaker_recordings(features, speakers)
    normalized = np.empty(recordings.shape, np.float32)
    for speaker in names:
        rows = speakers == speaker
        normalized[rows] = standardized(recordings[rows], *frame_statistics(recordings[rows]))
    if how == "zscore+rank":
        return np.concatenate([normalized, speaker_ranks(recordings, speakers)], axis=1)
    return normalized


def speaker_ranks(features: np.ndarray, speakers: Sequence[Hashable]) -> np.ndarray:
    """Each recording's rank among its speaker's, per feature, as a normal score ``Φ⁻¹((rank - ½) / n)``.

    Robust to how a speaker's values are spread (an actor whose AU12 is 0 in most clips
    and 4 in a few): only their order counts. Ties share their mean rank.

    Returns
    -------
    np.ndarray, shape (n, n_features), float32
    """
    features = np.asarray(features, dtype=np.float64)
    speakers = np.asarray(list(speakers))
    scores = np.empty_like(features)
    for speaker in np.unique(speakers):
        rows = speakers == speaker
        ranks = rankdata(features[rows], axis=0)
        scores[rows] = ndtri((ranks - 0.5) / rows.sum())
    return scores.astype(np.float32)


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


@dataclass(frozen=True)
class SpeakerStandardization:
    """What :func:`standardize_by_ways` did with the files of a prediction.

    Attributes
    ----------
    features : np.ndarray
        The standardised features of the kept files, (n_kept, ...), float32.
    kept : np.ndarray
        The index of each kept file among those given, int64.
    ways : list of (str, int)
        Per kept file, the way its speaker was met (:data:`SPEAKER_PATHS`) and the number
        of their recordings the statistics came from.
    problems : list of str
        A message for every file left out.
    notes : list of str
        Remarks on stderr's side (speakers whose statistics are noisy).
    """

    features: np.ndarray
    kept: np.ndarray
    ways: list[tuple[str, int]]
    problems: list[str]
    notes: list[str]


def standardize_by_ways(
    features: np.ndarray,
    labels: Sequence[str],
    prior: SpeakerPrior | None,
    speakers: Sequence[str] | None = None,
    enrolled_names: Sequence[str] | None = None,
    enrollments: dict[str, np.ndarray] | None = None,
    reliable_files: int = 10,
    recordings: Sequence[Hashable] | None = None,
) -> SpeakerStandardization:
    """Standardise each file's raw features by its speaker, the way the inputs allow.

    - ``speakers`` None: by the prior alone (``independent``);
    - with ``enrollments`` (enrolled name -> raw features of that speaker's enrollment
      recordings): by the enrollment of the file's speaker (``enrolled_names``), never by
      the files predicted; a speaker not enrolled is met ``independent``;
    - else by all the given files of the same speaker (``batch``); a speaker with fewer
      than :data:`MIN_BATCH_FILES` files is met ``independent``.

    Without a ``prior`` (a model trained before speaker priors), a file that would be met
    ``independent`` is left out with a message, and an enrollment needs two recordings.

    Parameters
    ----------
    features : np.ndarray, shape (n, ...)
        Raw features of the files, layout ``rows`` or ``coefficient_frames``.
    labels : sequence of str, length n
        How messages name each file (its path).
    reliable_files : int
        Below this many files a batch speaker's statistics are called noisy (a note).
    recordings : sequence, length n, optional
        Which recording each row is, when some are several windows of one long
        recording: the speaker's files, and ``MIN_BATCH_FILES``, count recordings (default:
        every row is a recording of its own).
    """
    X = np.asarray(features, dtype=np.float64)
    recording_of = list(range(len(X))) if recordings is None else list(recordings)
    speaker_recordings_of: dict[str, set[Hashable]] = {}
    if speakers is not None:
        for name, recording in zip(speakers, recording_of, strict=True):
            speaker_recordings_of.setdefault(name, set()).add(recording)
    counts = {name: len(held) for name, held in speaker_recordings_of.items()}
    out, kept, used, problems, batch_speakers = [], [], [], [], set()
    for index, label in enumerate(labels):
        row = X[index : index + 1]
        if speakers is None:
            recordings, way = X[:0], "independent"
            if prior is None:
                problems.append(
                    f"{label}: no speaker given; this model normalizes every speaker by their own recordings, "
                    "so give several files of each speaker, or --enroll recordings of them"
                )
                continue
        elif enrollments is not None:
            name = enrolled_names[index]
            enrolled = enrollments.get(name)
            if enrolled is None:
                recordings, way = X[:0], "independent"
                if prior is None:
                    known = ", ".join(sorted(enrollments)) or "none"
                    problems.append(
                        f"{label}: speaker {name!r} is not enrolled (enrolled: {known}), and this model has no "
                        "speaker-independent way"
                    )
                    continue
            else:
                recordings, way = np.asarray(enrolled, dtype=np.float64), "enrollment"
        elif counts[speakers[index]] >= MIN_BATCH_FILES:
            same = [i for i, s in enumerate(speakers) if s == speakers[index]]
            recordings, way = X[same], "batch"
            batch_speakers.add(speakers[index])
        else:
            recordings, way = X[:0], "independent"
            if prior is None:
                problems.append(
                    f"{label}: {speakers[index]} has no other file here; this model normalizes every speaker by "
                    "their own recordings, so give several files of each speaker, or --enroll recordings of them"
                )
                continue
        files = len({recording_of[i] for i in same}) if way == "batch" else len(recordings)
        if prior is not None:
            out.append(prior.standardize(row, recordings))
        elif len(recordings) < 2:
            problems.append(
                f"{label}: the enrollment of {enrolled_names[index]!r} holds {len(recordings)} recording; "
                "this model needs at least two (a model retrained with a speaker prior, --enrollment-copies prior or "
                "--preset best, takes one)"
            )
            continue
        else:
            out.append(standardized(row, *frame_statistics(recordings)))
        kept.append(index)
        used.append((way, files))
    notes = [
        f"note: {name} has {counts[name]} files; speaker statistics from fewer than "
        f"{reliable_files} are noisy, so expect lower accuracy"
        for name in sorted(batch_speakers)
        if counts[name] < reliable_files
    ]
    normalized = np.concatenate(out) if out else np.zeros((0, *X.shape[1:]), np.float32)
    return SpeakerStandardization(normalized, np.array(kept, dtype=np.int64), used, problems, notes)
