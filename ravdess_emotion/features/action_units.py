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
own clips (``ravdess_emotion.features.speakers``), using no labels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ravdess_emotion.core.errors import MediaError
from ravdess_emotion.corpus.tracking import (
    AU_COLUMNS,
    AU_MEANS_SUFFIX,
    Tracking,
    read_au_means,
    read_tracking,
)
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
