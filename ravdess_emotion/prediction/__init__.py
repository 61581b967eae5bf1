"""Stage 5, prediction: the emotion of audio, video or facial action-unit files, with a model ``train_models.py`` saved.

Features are computed with exactly the settings stored beside the model
(``<model>.json``), so a prediction sees what training saw. ``predict.py`` is its
command line; :class:`~ravdess_emotion.prediction.predictor.Predictor` the Python API::

    from ravdess_emotion.models import EmotionModel
    from ravdess_emotion.prediction import Predictor

    model = EmotionModel.load("models/audio_emotion_speech_best.h5")
    table, problems = Predictor.of_model(model, "models/audio_emotion_speech_best.h5").predict_files(files)

=============== ===========================================================================
module          what it holds
=============== ===========================================================================
``predictor``   a saved model's inputs rebuilt from its metadata; predicting files
``discovery``   which files to predict, and whose voice or face each is
``enrollments``  enrolling speakers from their recordings or from stored enrollments
``skips``       what got no emotion and why, counted for the summary line
=============== ===========================================================================
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ravdess_emotion.core.takes import audio_twin
    from ravdess_emotion.features.speech_presence import NoSpeechError
    from ravdess_emotion.prediction.discovery import SPEAKER_GROUPS, enrolled_name, expand_paths, speaker_of
    from ravdess_emotion.prediction.enrollments import enrolled_speakers, read_enrollments, save_enrollments
    from ravdess_emotion.prediction.predictor import (
        Enrollments,
        ModelInput,
        Predictor,
        model_inputs,
        speaker_paths,
    )

_HOMES = {
    "audio_twin": "ravdess_emotion.core.takes",
    "NoSpeechError": "ravdess_emotion.features.speech_presence",
    "SPEAKER_GROUPS": "ravdess_emotion.prediction.discovery",
    "enrolled_name": "ravdess_emotion.prediction.discovery",
    "expand_paths": "ravdess_emotion.prediction.discovery",
    "speaker_of": "ravdess_emotion.prediction.discovery",
    "enrolled_speakers": "ravdess_emotion.prediction.enrollments",
    "read_enrollments": "ravdess_emotion.prediction.enrollments",
    "save_enrollments": "ravdess_emotion.prediction.enrollments",
    "Enrollments": "ravdess_emotion.prediction.predictor",
    "ModelInput": "ravdess_emotion.prediction.predictor",
    "Predictor": "ravdess_emotion.prediction.predictor",
    "model_inputs": "ravdess_emotion.prediction.predictor",
    "speaker_paths": "ravdess_emotion.prediction.predictor",
}
"""Where each name lives. Imported on first use, so that ``predict.py --help`` and
``discovery`` never load Keras (the predictor imports it, 8 s on a cold start)."""


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "SPEAKER_GROUPS",
    "Enrollments",
    "ModelInput",
    "NoSpeechError",
    "Predictor",
    "audio_twin",
    "enrolled_name",
    "enrolled_speakers",
    "expand_paths",
    "model_inputs",
    "read_enrollments",
    "save_enrollments",
    "speaker_of",
    "speaker_paths",
]
