"""Facial action-unit features: one vector per clip, or a sequence of frames, from OpenFace's AU outputs.

Read from the files ``organize_data.py`` puts under ``faces/``
(``ravdess_emotion.corpus.tracking``): a per-frame tracking CSV gives every feature;
a clip-table row (``<stem>.au-means.csv``) gives only the clip means. Only frames the
tracker was confident about count (:data:`~ravdess_emotion.corpus.tracking.MIN_CONFIDENCE`).

- ``au_features="means"``: the mean over frames of the 35 AU columns, shape (35,);
  what ``ravdess_aus/openface_au_means.csv`` holds, and what a clip table gives.
- ``"statistics"``: per AU, the mean, standard deviation, 10th and 90th percentile
  and mean absolute change between frames, shape (175,): how an expression moves.
- ``"sequence"``: ``au_frames`` frames resampled evenly over the confident ones,
  shape (au_frames, 35), for the temporal model.

Each actor differs in how strongly their face shows an expression and in how the
tracker sees it, so, like audio, the features are standardised within each speaker's
own clips (:func:`speaker_normalize_units`), using no labels.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from pathlib import Path

import numpy as np
from scipy.special import ndtri
from scipy.stats import rankdata

from ravdess_emotion.core.errors import MediaError
from ravdess_emotion.corpus.tracking import (
    AU_COLUMNS,
    AU_MEANS_SUFFIX,
    Tracking,
    read_au_means,
    read_tracking,
)
from ravdess_emotion.features.functionals import speaker_normalize
from ravdess_emotion.features.settings import FeatureSettings

STATISTICS = ("mean", "std", "p10", "p90", "mean_abs_change")


def au_feature_names(settings: FeatureSettings) -> list[str]:
    """The name of every column of a clip's vector features (``means`` or ``statistics``)."""
    if settings.au_features == "means":
        return list(AU_COLUMNS)
    if settings.au_features == "statistics":
        return [f"{column}_{statistic}" for statistic in STATISTICS for column in AU_COLUMNS]
    raise ValueError("au_features='sequence' has one row of the 35 AU columns per frame, not named features")


def clip_statistics(tracking: Tracking, statistics: bool = False) -> np.ndarray:
    """Means (shape (35,)), or with ``statistics`` the five statistics of :data:`STATISTICS` (shape (175,)).

    Only confident frames count; the change between frames is taken between consecutive
    confident frames.
    """
    units = tracking.units[tracking.confident].astype(np.float64)
    mean = units.mean(axis=0)
    if not statistics:
        return mean.astype(np.float32)
    change = np.abs(np.diff(units, axis=0)).mean(axis=0) if len(units) > 1 else np.zeros_like(mean)
    low, high = np.percentile(units, [10, 90], axis=0)
    return np.concatenate([mean, units.std(axis=0), low, high, change]).astype(np.float32)


def resample_frames(tracking: Tracking, frames: int) -> np.ndarray:
    """``frames`` rows evenly spaced over the confident frames, linearly interpolated, shape (frames, 35).

    Failed frames are left out, so the sequence follows the face, not the gaps in tracking.
    """
    units = tracking.units[tracking.confident].astype(np.float64)
    if len(units) == 1:
        return np.repeat(units, frames, axis=0).astype(np.float32)
    source = np.linspace(0.0, 1.0, len(units))
    target = np.linspace(0.0, 1.0, frames)
    return np.stack([np.interp(target, source, units[:, i]) for i in range(units.shape[1])], axis=1).astype(
        np.float32
    )


def au_features_job(path: Path, settings: FeatureSettings) -> np.ndarray:
    """The AU features of one organized face file, as ``settings.au_features`` says (shape ``settings.au_shape``).

    Raises
    ------
    MediaError
        When the file cannot be read, or it is a clip-table row and the features need
        per-frame tracking (``statistics`` or ``sequence``).
    """
    path = Path(path)
    if path.name.lower().endswith(AU_MEANS_SUFFIX):
        if settings.au_features != "means":
            raise MediaError(
                f"{path}: au_features={settings.au_features!r} needs per-frame tracking, and this is one row "
                "of a clip table (its means only); organize the per-frame OpenFace CSVs, or use au_features='means'"
            )
        return read_au_means(path)
    tracking = read_tracking(path)
    if settings.au_features == "sequence":
        return resample_frames(tracking, settings.au_frames)
    return clip_statistics(tracking, statistics=settings.au_features == "statistics")


def speaker_ranks(features: np.ndarray, speakers: Sequence[Hashable]) -> np.ndarray:
    """Each clip's rank among its speaker's clips, per feature, as a normal score ``Φ⁻¹((rank - ½) / n)``.

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


def speaker_normalize_units(
    features: np.ndarray, speakers: Sequence[Hashable], how: str = "zscore"
) -> np.ndarray:
    """Standardise AU features within each speaker's own clips, as ``FeatureSettings.au_normalization`` says.

    Vectors (n, n_features) are standardised per column (``zscore``), followed with
    ``zscore+rank`` by :func:`speaker_ranks` (n, 2 * n_features); sequences
    (n, frames, 35) per AU over every frame of the speaker's clips, so that the shape of
    each clip's sequence over time is kept. ``none`` returns the features unchanged.

    Raises
    ------
    ValueError
        When a speaker has a single clip (see ``ravdess_emotion.features.functionals.speaker_normalize``),
        or ``zscore+rank`` is asked of sequences.
    """
    features = np.asarray(features)
    if how == "none":
        return features
    if features.ndim == 2:
        normalized = speaker_normalize(features, speakers)
        if how == "zscore+rank":
            return np.concatenate([normalized, speaker_ranks(features, speakers)], axis=1)
        return normalized
    if how != "zscore":
        raise ValueError(f"AU sequences are standardised with 'zscore' or 'none', not {how!r}")
    if features.ndim != 3:
        raise ValueError(f"AU features must be (n, n_features) or (n, frames, units), got {features.shape}")
    n, frames, units = features.shape
    speakers = np.asarray(list(speakers))
    if len(speakers) != n:
        raise ValueError(f"{n} clips but {len(speakers)} speakers")
    counts = dict(zip(*np.unique(speakers, return_counts=True), strict=True))
    if alone := sorted(str(s) for s, c in counts.items() if c < 2):
        raise ValueError(f"speakers {alone} have a single clip: there is nothing to normalize against")
    flat = speaker_normalize(features.reshape(n * frames, units), np.repeat(speakers, frames))
    return flat.reshape(n, frames, units)
