"""The utterance-functionals view: one vector of 1,456 statistics per recording (``ravdess_emotion.features.functionals``)."""

from __future__ import annotations

import numpy as np

from ravdess_emotion.features.functionals import functionals_of_samples, n_features
from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.views.audio_view import AUDIO_KEY_FIELDS, AudioView
from ravdess_emotion.features.views.base import register_view


class FunctionalsView(AudioView):
    """Statistics over time of MFCC, log-mel, pitch, loudness and spectral contours (``n_mfcc`` and ``max_frames`` unused)."""

    name = "functionals"
    label = "functionals"
    settings_fields = AUDIO_KEY_FIELDS
    layout = "rows"

    def of_samples(self, samples: np.ndarray, settings: FeatureSettings) -> np.ndarray:
        return functionals_of_samples(samples, settings.sample_rate, settings.n_fft, settings.hop_length)

    def shape(self, settings: FeatureSettings) -> tuple[int, ...]:
        return (n_features(),)


FUNCTIONALS = register_view(FunctionalsView())
