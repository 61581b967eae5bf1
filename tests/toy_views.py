"""A toy feature view, added the way any view is: this one module and its registration.

``rms``: the loudness of a recording as one number, its RMS energy in dB. Nothing in
the loader, the recipes or the predictor knows of it; ``tests/features/test_toy_view.py``
trains and predicts with it.
"""

from __future__ import annotations

import numpy as np

from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.views import AudioView, register_view


class RmsView(AudioView):
    """A recording's RMS energy in dB of full scale: shape (1,)."""

    name = "rms"
    label = "RMS energy"
    settings_fields = ("sample_rate",)
    cache_prefix = "rms"
    layout = "rows"

    def of_samples(self, samples: np.ndarray, settings: FeatureSettings) -> np.ndarray:
        energy = float(np.mean(np.square(samples, dtype=np.float64)))
        return np.array([10 * np.log10(energy + 1e-12)], np.float32)

    def shape(self, settings: FeatureSettings) -> tuple[int, ...]:
        return (1,)


RMS = register_view(RmsView())
