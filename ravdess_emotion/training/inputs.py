"""A model's training data: its feature loader and its features as ``TrainingInputs``, per kind of model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ravdess_emotion.batches import SpeakerStandardizedCopies, SpeedCopies, TrainingInputs, as_training_inputs
from ravdess_emotion.features.loader import RAVDESSDataLoader
from ravdess_emotion.training.config import RunConfig
from ravdess_emotion.training.recipes import ModelSpec


def load_training_inputs(
    loader: RAVDESSDataLoader, spec: ModelSpec
) -> tuple[TrainingInputs, np.ndarray, pd.DataFrame]:
    """``(inputs, y, info)`` of a model: its features as :class:`~ravdess_emotion.batches.TrainingInputs`.

    Audio and action-unit features are held in memory, with speed-perturbed copies for
    an audio or audio+AU model with ``spec.speeds`` (each copy paired with the take's
    faces); video and fusion stream from the frame store, so memory does not grow with
    the number of clips.
    """
    if spec.kind == "audio" and spec.enrollment_sizes is not None and loader.settings.speaker_norm:
        X, y, info = loader.load_audio_dataset(spec.channel, return_info=True, standardize=False)
        copies = loader.load_audio_speed_copies(spec.channel, spec.speeds, info, standardize=False)
        speakers = info["actor"].to_numpy()
        return SpeakerStandardizedCopies(X, speakers, copies, spec.enrollment_sizes), y, info
    if spec.kind == "audio":
        X, y, info = loader.load_audio_dataset(spec.channel, return_info=True)
        if spec.speeds:
            return SpeedCopies(X, loader.load_audio_speed_copies(spec.channel, spec.speeds, info)), y, info
        return as_training_inputs(X), y, info
    if spec.kind == "au":
        X, y, info = loader.load_au_dataset(spec.channel, return_info=True)
        return as_training_inputs(X), y, info
    if spec.kind == "fusion_au":
        (X_audio, X_au), y, info = loader.load_audio_au_dataset(spec.channel, return_info=True)
        if spec.speeds:
            twins = info.assign(path=info["audio_path"])  # the speed copies are of each take's audio file
            copies = loader.load_audio_speed_copies(spec.channel, spec.speeds, twins)
            return SpeedCopies(X_audio, copies, companions=(X_au,)), y, info
        return as_training_inputs([X_audio, X_au]), y, info
    clips, y, info = loader.video_cache(spec.kind, spec.channel)
    return as_training_inputs(clips), y, info


def loader_for(spec: ModelSpec, config: RunConfig) -> RAVDESSDataLoader:
    """The loader of a model's features under ``config``."""
    return RAVDESSDataLoader(
        config.data_dir, config.settings_for(spec), cache_dir=config.cache_dir, n_jobs=config.jobs
    )
