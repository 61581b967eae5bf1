"""The face models on facial action units, and the audio + action-unit fusions (early and late).

``AUEmotionLogistic`` and ``AUEmotionLSTM`` read action units (clip vectors and frame
sequences, ``ravdess_emotion.features.action_units``); ``AudioAUEmotionFusion`` reads
audio and action units of the same take in one network (early fusion);
``AudioAULateFusion`` combines an audio and a face model trained side by side,
weighted on the validation actors (late fusion, ``ravdess_emotion.models.fusion``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import keras
import numpy as np
from keras import layers

from ravdess_emotion.models import networks
from ravdess_emotion.models.base import (
    ArrayOrPair,
    EmotionModel,
    _as_inputs,
    _shape_of,
    as_class_indices,
    with_early_stopping,
)
from ravdess_emotion.models.fusion import POOLING_WEIGHTS, late_fusion_weight, log_linear_pooling
from ravdess_emotion.models.hyperparameters import Hyperparameters


class AUEmotionLogistic(EmotionModel):
    """Face model on clip AU features (``--preset best``): standardise → softmax, with an L2 penalty.

    The face counterpart of ``AudioEmotionLogistic``: action units are few,
    interpretable and, standardised per actor, close to linearly separable, so a
    penalised linear model generalises to new actors (``benchmarks/faces.py``).
    ``dropout`` is unused. It trains at 10 times the learning rate given: with 25
    batches an epoch, 60 epochs at 0.001 stop short of the penalised optimum
    (0.763 against 0.779 at 0.01 in 5-fold actor cross-validation on real speech).
    """

    kind = "au"
    example_inputs = ("au_clip",)
    defaults = Hyperparameters(cosine_decay=True, learning_rate_scale=10.0, l2_penalty=0.01)

    def _build(self, input_shape: Sequence[int]) -> keras.Model:
        return networks.au_logistic(input_shape, self.num_emotions, self.hyperparameters)


class AUEmotionLSTM(EmotionModel):
    """Temporal face model: AU frames (frames, 35) → LSTM 64 → mean over time → dense → softmax.

    The seed's LSTM idea on action-unit sequences instead of pixels.
    """

    kind = "au"
    example_inputs = ("au_sequence",)

    def _build(self, input_shape: Sequence[int]) -> keras.Model:
        return networks.au_lstm(input_shape, self.num_emotions, self.dropout)


class AudioAUEmotionFusion(EmotionModel):
    """Audio + action units of the same take in one network (early fusion).

    ``build_model((audio_shape, au_shape))``; inputs are ``[X_audio, X_au]``. On utterance
    functionals and clip AU vectors (``--preset best``) both are standardised, joined and
    classified by one penalised softmax: logistic regression on both views. On MFCC
    images and AU sequences (the seed's recipe) the audio CNN-LSTM branch and an AU LSTM
    branch are joined under a shared dense classifier, as in ``MultimodalEmotionFusion``.
    """

    kind = "fusion_au"
    example_inputs = ("mfcc", "au_sequence")
    defaults = Hyperparameters(l2_penalty=0.03)

    def uses_cosine_decay(self) -> bool:
        # The linear model settles at its penalised optimum; the networks stop early instead.
        return self.model is not None and self.model.name == "audio_au_emotion_logistic"

    def _build(self, input_shape: Sequence[Sequence[int]]) -> keras.Model:
        return networks.audio_au_fusion(input_shape, self.num_emotions, self.dropout, self.hyperparameters)


class AudioAULateFusion(EmotionModel):
    """Late fusion: an audio and a face logistic model trained apart, their log-probabilities weighted.

    ``build_model((audio_shape, au_shape))`` on utterance functionals and clip AU vectors;
    inputs are ``[X_audio, X_au]``. The two models are penalised softmax regressions
    (``l2_penalty`` for audio, ``face_l2_penalty`` for faces) trained side by side on
    their own losses (they share no weight, so each learns as if alone); the prediction
    is ``softmax(w · log p_audio + (1 - w) · log p_au)``, a weighted geometric mean of the
    two (``ravdess_emotion.models.fusion.log_linear_pooling``). ``w`` (``audio_weight``) is
    chosen after training on the validation data from ``POOLING_WEIGHTS`` by log-loss; a
    refit without validation data keeps the weight of the first fit
    (:meth:`refit_settings`). The weight lives in the saved graph (a ``Rescaling`` layer
    per branch), so the file predicts like any other.
    """

    kind = "fusion_au"
    example_inputs = ("functionals", "au_clip")
    defaults = Hyperparameters(cosine_decay=True, l2_penalty=0.03, face_l2_penalty=0.01)

    def __init__(self, *args: Any, audio_weight: float = 0.5, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not 0 <= audio_weight <= 1:
            raise ValueError(f"audio_weight must be in [0, 1], got {audio_weight}")
        self.audio_weight = float(audio_weight)
        self._training_model: keras.Model | None = None

    def refit_settings(self) -> dict[str, Any]:
        """What a refit on training and validation actors keeps from this fit: the audio weight."""
        return {"audio_weight": self.audio_weight}

    def _build(self, input_shape: Sequence[Sequence[int]]) -> keras.Model:
        if len(input_shape) != 2 or any(len(tuple(s)) != 1 for s in input_shape):
            raise ValueError("late fusion reads (functionals, AU vector) shapes, e.g. ((1456,), (70,))")
        audio_shape, au_shape = (tuple(s) for s in input_shape)
        audio_inputs, audio = networks.functionals_input(audio_shape)
        au_inputs, au = networks.action_units_input(au_shape)
        hp = self.hyperparameters
        self._audio_logits = layers.Dense(
            self.num_emotions, kernel_regularizer=keras.regularizers.L2(hp.l2_penalty), name="audio_logits"
        )(audio)
        self._au_logits = layers.Dense(
            self.num_emotions, kernel_regularizer=keras.regularizers.L2(hp.face_l2_penalty), name="au_logits"
        )(au)
        self._inputs = [audio_inputs, au_inputs]
        self._wire_training_model()
        return self._fused(self.audio_weight)

    def _wire_training_model(self) -> None:
        """The graph that trains both branches, each on its own loss ("training", the fused output, is watched)."""
        if self.model is not None and not hasattr(self, "_inputs"):  # loaded from a file: take its layers
            self._inputs = list(self.model.inputs)
            self._audio_logits = self.model.get_layer("audio_logits").output
            self._au_logits = self.model.get_layer("au_logits").output
            self.audio_weight = float(self.model.get_layer("audio_weight").scale)
        audio_probs = layers.Activation("softmax", dtype="float32", name="audio_emotion")(self._audio_logits)
        au_probs = layers.Activation("softmax", dtype="float32", name="au_emotion")(self._au_logits)
        self._training_model = keras.Model(
            self._inputs,
            [audio_probs, au_probs, self._combined(0.5, "training_")],
            name="late_fusion_training",
        )

    def _combined(self, weight: float, prefix: str = "") -> keras.KerasTensor:
        # softmax(w·za + (1-w)·zf) = softmax(w·log pa + (1-w)·log pf): each log-softmax differs from its
        # logits by one constant per sample, which the softmax cancels.
        logits = {"audio": self._audio_logits, "au": self._au_logits}
        return log_linear_pooling(logits, {"audio": weight, "au": 1.0 - weight}, prefix)

    def _fused(self, weight: float) -> keras.Model:
        return keras.Model(self._inputs, self._combined(weight), name="audio_au_late_fusion")

    def train(
        self,
        X_train: ArrayOrPair,
        y_train: np.ndarray,
        X_val: ArrayOrPair | None = None,
        y_val: np.ndarray | None = None,
        epochs: int = 50,
        batch_size: int = 16,
        patience: int | None = 10,
        callbacks: Sequence[keras.callbacks.Callback] = (),
        verbose: int | str = "auto",
    ) -> keras.callbacks.History:
        """Train both branches on ``[X_audio, X_au]``, then choose the audio weight on the validation data.

        Returns the history of the joint fit, with ``accuracy`` (and ``val_accuracy``) of
        the fused prediction at weight 0.5, and the losses of both branches.
        """
        if self.model is None:
            self.build_model(_shape_of(X_train))
        elif self._training_model is None:
            self._wire_training_model()
        self._adapt_normalization(X_train)
        targets = as_class_indices(y_train)
        steps = max(1, epochs * math.ceil(len(targets) / batch_size))
        schedule = keras.optimizers.schedules.CosineDecay(
            self.learning_rate * self.hyperparameters.learning_rate_scale, steps
        )
        losses = {
            "audio_emotion": "sparse_categorical_crossentropy",
            "au_emotion": "sparse_categorical_crossentropy",
        }
        self._training_model.compile(
            optimizer=keras.optimizers.Adam(schedule),
            loss={**losses, "training": None},
            metrics={"training": ["accuracy"]},
        )
        has_validation = X_val is not None and y_val is not None
        three = lambda y: {"audio_emotion": y, "au_emotion": y, "training": y}  # noqa: E731
        validation = (_as_inputs(X_val), three(as_class_indices(y_val))) if has_validation else None
        all_callbacks = with_early_stopping(callbacks, has_validation, patience)
        history = self._training_model.fit(
            _as_inputs(X_train),
            three(targets),
            validation_data=validation,
            batch_size=batch_size,
            epochs=epochs,
            callbacks=all_callbacks,
            verbose=verbose,
        )
        for prefix in ("", "val_"):
            if f"{prefix}training_accuracy" in history.history:
                history.history[f"{prefix}accuracy"] = history.history[f"{prefix}training_accuracy"]
        if has_validation:
            self.audio_weight = self._best_weight(X_val, as_class_indices(y_val))
            print(
                f"late fusion: audio weight {self.audio_weight:.2f} (log-loss on {len(y_val)} validation samples)"
            )
        self.model = self._fused(self.audio_weight)
        self.compile()
        return history

    def save(self, path: str | Path, metadata: dict[str, Any] | None = None) -> Path:
        """:meth:`EmotionModel.save`, the audio weight recorded in the metadata too."""
        return super().save(path, {**(metadata or {}), "audio_weight": self.audio_weight})

    def _best_weight(self, X_val: ArrayOrPair, y_val: np.ndarray) -> float:
        """The grid weight whose fused prediction has the lowest log-loss on the validation data."""
        branches = keras.Model(self._inputs, [self._audio_logits, self._au_logits])
        audio_logits, au_logits = branches.predict(_as_inputs(X_val), verbose=0)
        return late_fusion_weight(audio_logits, au_logits, y_val, POOLING_WEIGHTS)
