"""The Whisper view: every hidden state of the pretrained Whisper-base encoder, pooled over the recording.

Each recording, at 16 kHz, goes through the encoder (``ravdess_emotion.encoders``); the
mean and standard deviation over time of the embedding and of each block's output are
concatenated: (n_layers + 1) × 2 × d_model numbers, 7,168 for Whisper-base. The middle
layers carry the emotion (a classifier on the last layer alone loses 0.05-0.20 of
accuracy), so all of them are kept. The encoder is built once per extraction worker and
runs on its files one at a time, so a recording's features never depend on the files
beside it. The cache key holds the checkpoint's SHA-256, so another checkpoint never
reads this one's features.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ravdess_emotion.encoders.checkpoints import checkpoint_dir, checkpoint_sha256
from ravdess_emotion.encoders.whisper import SAMPLE_RATE, pooled_size
from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.views.audio_view import AudioView
from ravdess_emotion.features.views.base import register_view


class WhisperView(AudioView):
    """Pooled Whisper hidden states of a recording, (n_layers + 1) × 2 × d_model (7,168 for Whisper-base)."""

    name = "whisper"
    label = "Whisper"
    settings_fields = ("speech_encoder", "encoder_window")
    cache_prefix = "whisper"
    layout = "rows"
    batch_size = 16

    def rate(self, settings: FeatureSettings) -> int:
        return SAMPLE_RATE

    def of_samples(self, samples: np.ndarray, settings: FeatureSettings) -> np.ndarray:
        # The network, and Keras with it, is loaded where a Whisper feature is computed: only this view's work does.
        from ravdess_emotion.encoders.whisper_network import encoder_named

        return encoder_named(settings.speech_encoder).pooled(samples, settings.encoder_window)

    def shape(self, settings: FeatureSettings) -> tuple[int, ...]:
        return (pooled_size(checkpoint_dir(settings.speech_encoder)),)

    def key_settings(self, settings: FeatureSettings) -> dict[str, Any]:
        """The settings, and the SHA-256 of the checkpoint: features of another one are other features."""
        checkpoint = checkpoint_sha256(checkpoint_dir(settings.speech_encoder))
        return {**super().key_settings(settings), "checkpoint": checkpoint}

    def warm_up(self, settings: FeatureSettings) -> None:
        """Join the packaged checkpoint in this process, once, before workers would each try to."""
        checkpoint_dir(settings.speech_encoder)


WHISPER = register_view(WhisperView())
