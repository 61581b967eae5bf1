"""The audio models: the seed's CNN-LSTM on MFCC images (with and without a training recipe), an MLP and logistic regression on utterance functionals."""

from __future__ import annotations

from collections.abc import Sequence

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import keras

from ravdess_emotion.models import networks
from ravdess_emotion.models.base import EmotionModel
from ravdess_emotion.models.hyperparameters import Hyperparameters


class AudioEmotionCNNLSTM(EmotionModel):
    """Audio model: MFCC (n_mfcc, frames) → Conv2D ×2 → LSTM 128 → LSTM 64 → dense → softmax."""

    kind = "audio"
    example_inputs = ("mfcc",)

    def _build(self, input_shape: Sequence[int]) -> keras.Model:
        return networks.cnn_lstm(
            input_shape, self.num_emotions, self.dropout, self.hyperparameters, "audio_emotion_cnn_lstm"
        )


class AudioEmotionAttentionCNNLSTM(EmotionModel):
    """The seed's CNN-LSTM layers with a training recipe: SpecAugment, attention pooling, mixup.

    MFCC (n_mfcc, frames) → standardise → SpecAugment masks (training only) → Conv2D ×2 →
    LSTM 128 → LSTM 64 → attention pooling → dense → softmax. Trained with mixup
    (α 0.2), label smoothing 0.1, AdamW (weight decay 0.01) and a cosine learning-rate
    decay to 0 over the epochs.
    """

    kind = "audio"
    example_inputs = ("mfcc",)
    defaults = Hyperparameters(
        label_smoothing=0.1,
        weight_decay=1e-2,
        cosine_decay=True,
        mixup_alpha=0.2,
        spec_augment=True,
        attention=True,
    )

    def _build(self, input_shape: Sequence[int]) -> keras.Model:
        return networks.cnn_lstm(
            input_shape,
            self.num_emotions,
            self.dropout,
            self.hyperparameters,
            "audio_emotion_attention_cnn_lstm",
        )


class AudioEmotionMLP(EmotionModel):
    """Audio model on utterance functionals: standardise → dropout → dense 512 → dropout → softmax.

    Its input is one vector per file (``ravdess_emotion.features.functionals``), usually standardised per
    speaker; ``dropout`` applies to the input features and to the hidden layer. Trained
    with label smoothing 0.1 and AdamW (weight decay 0.01).
    """

    kind = "audio"
    example_inputs = ("functionals",)
    defaults = Hyperparameters(label_smoothing=0.1, weight_decay=1e-2)

    def _build(self, input_shape: Sequence[int]) -> keras.Model:
        return networks.mlp(input_shape, self.num_emotions, self.dropout, self.hyperparameters)


class AudioEmotionLogistic(EmotionModel):
    """Audio model on utterance functionals (``--preset best``): standardise → softmax, with an L2 penalty.

    Multinomial logistic regression as a Keras model: on ~1,000 training files of 16
    actors, a linear model with a strong penalty generalises to new actors better than
    the hidden layer of :class:`AudioEmotionMLP` (``benchmarks/audio.py``). Trained with
    Adam and a cosine-decayed learning rate so that it settles at the penalised optimum;
    ``dropout`` is unused.
    """

    kind = "audio"
    example_inputs = ("functionals",)
    defaults = Hyperparameters(cosine_decay=True, l2_penalty=0.03)

    def _build(self, input_shape: Sequence[int]) -> keras.Model:
        return networks.logistic(
            input_shape, self.num_emotions, self.hyperparameters, "audio_emotion_logistic"
        )


class AudioEmotionLayerWeighting(EmotionModel):
    """Audio model on a pretrained encoder's pooled layers: a learned weighting of the layers, then logistic regression.

    Reads the ``whisper`` view (7 layer blocks of 1,024 pooled statistics), standardised
    per speaker. ``dropout`` applies to the mixed features; trained like
    :class:`AudioEmotionLogistic` (an L2 penalty, a cosine-decayed learning rate).
    """

    kind = "audio"
    example_inputs = ("whisper",)
    defaults = Hyperparameters(cosine_decay=True, l2_penalty=0.03, encoder_layers=7)

    def _build(self, input_shape: Sequence[int]) -> keras.Model:
        return networks.layer_weighting(input_shape, self.num_emotions, self.dropout, self.hyperparameters)
