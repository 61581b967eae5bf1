"""The MFCC image view: ``n_mfcc`` coefficients by ``max_frames`` frames, the seed's audio input."""

from __future__ import annotations

import numpy as np

from ravdess_emotion.features.audio import mfcc_of_samples
from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.views.audio_view import AUDIO_KEY_FIELDS, AudioView
from ravdess_emotion.features.views.base import register_view


class MfccView(AudioView):
    """MFCCs (n_mfcc, max_frames) of each file, zero-padded or cut at the end; per speaker, each coefficient over their frames."""

    name = "mfcc"
    label = "MFCC"
    settings_fields = AUDIO_KEY_FIELDS
    layout = "coefficient_frames"

    def of_samples(self, samples: np.ndarray, settings: FeatureSettings) -> np.ndarray:
        return mfcc_of_samples(samples, settings)

    def shape(self, settings: FeatureSettings) -> tuple[int, ...]:
        return (settings.n_mfcc, settings.max_frames)

    def window_seconds(self, settings: FeatureSettings) -> float | None:
        """The audio that exactly fills ``max_frames`` frames (librosa centres frames: n frames span n - 1 hops)."""
        return (settings.max_frames - 1) * settings.hop_length / settings.sample_rate


MFCC = register_view(MfccView())
