"""The video models: the seed's 3D-CNN-LSTM on face frames, and its fusion with the audio CNN-LSTM."""

from __future__ import annotations

from collections.abc import Sequence

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import keras

from ravdess_emotion.models import networks
from ravdess_emotion.models.base import EmotionModel


class VideoEmotion3DCNNLSTM(EmotionModel):
    """Video model: frames (T, H, W, 3) → Conv3D ×3 → LSTM 128 → dense → softmax."""

    kind = "video"
    example_inputs = ("frames",)

    def _build(self, input_shape: Sequence[int]) -> keras.Model:
        return networks.video_3dcnn_lstm(input_shape, self.num_emotions, self.dropout)


class MultimodalEmotionFusion(EmotionModel):
    """Fusion model: the audio and video branches, concatenated, then a shared classifier.

    ``build_model((audio_shape, video_shape))``; inputs are ``[X_audio, X_video]``.
    """

    kind = "fusion"
    example_inputs = ("mfcc", "frames")

    def _build(self, input_shape: Sequence[Sequence[int]]) -> keras.Model:
        return networks.audio_video_fusion(input_shape, self.num_emotions, self.dropout)
