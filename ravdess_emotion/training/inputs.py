"""A model's training data: its feature loader, and the features of its views as ``TrainingInputs``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ravdess_emotion.batches import SpeakerStandardizedCopies, SpeedCopies, TrainingInputs, as_training_inputs
from ravdess_emotion.features.loader import RAVDESSDataLoader
from ravdess_emotion.features.views import resolve_views
from ravdess_emotion.training.config import RunConfig
from ravdess_emotion.training.recipes import ModelSpec


def load_training_inputs(
    loader: RAVDESSDataLoader, spec: ModelSpec
) -> tuple[TrainingInputs, np.ndarray, pd.DataFrame]:
    """``(inputs, y, info)`` of a model: the features of its views as :class:`~ravdess_emotion.batches.TrainingInputs`.

    Features in memory are standardised per actor as each view says. A model of one
    speaker-normalized view trained with a speaker prior (``spec.enrollment_sizes``) gets
    them raw, to standardise in every way a prediction can; with ``spec.speeds``, the
    first view (the audio) comes with speed-perturbed copies, each paired with the take's
    other views. Frames stream from the frame store, so memory does not grow with the
    number of clips.
    """
    views = resolve_views(spec.views, loader.settings)
    with_prior = (
        len(views) == 1
        and spec.enrollment_sizes is not None
        and views[0].speaker_normalization(loader.settings) != "none"
    )
    X, y, info = loader.load_views(views, spec.channel, standardize=not with_prior, label=spec.kind)
    if with_prior:
        copies = loader.load_speed_copies(views[0], spec.channel, spec.speeds, info, standardize=False)
        speakers = info["actor"].to_numpy()
        return SpeakerStandardizedCopies(X, speakers, copies, spec.enrollment_sizes), y, info
    if spec.speeds:
        first, *companions = X if isinstance(X, tuple) else (X,)
        # The speed copies are of each take's file of the first view (its audio).
        files = info.assign(path=info[f"{views[0].side}_path"]) if companions else info
        copies = loader.load_speed_copies(views[0], spec.channel, spec.speeds, files)
        return SpeedCopies(first, copies, companions=tuple(companions)), y, info
    return as_training_inputs(X), y, info


def loader_for(spec: ModelSpec, config: RunConfig) -> RAVDESSDataLoader:
    """The loader of a model's features under ``config``."""
    return RAVDESSDataLoader(
        config.data_dir, config.settings_for(spec), cache_dir=config.cache_dir, n_jobs=config.jobs
    )
