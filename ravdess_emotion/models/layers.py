"""The project's own Keras layers, and what a saved graph puts in their place.

Training graphs use two registered layers: :class:`SpecAugment` (masking, training
only) and :class:`AttentionPooling1D`. A saved file holds an *inference graph* instead
(:func:`inference_graph`): SpecAugment left out (it passes its input through at
inference) and attention pooling spelled with Keras' built-in layers, sharing its
weights. So every file ``train_models.py`` writes loads with plain
``keras.models.load_model`` in a process that never imported this project.

:class:`LogLinearPooling` only loads ensembles saved before their graphs were built from
built-in layers (``ravdess_emotion.models.fusion``); nothing new is built with it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import keras
from keras import layers


@keras.saving.register_keras_serializable(package="ravdess_emotion")
class AttentionPooling1D(layers.Layer):
    """Attention pooling over time: a weighted mean of a sequence, the weights learned.

    Each step ``h_t`` gets a score ``v · tanh(W h_t + b)``; a softmax over time turns the
    scores into weights, and the output is ``sum_t weight_t h_t``. Where average pooling
    counts the padded silence at the end of a clip like speech, attention learns to
    look at the steps that carry the emotion.

    Input shape (batch, steps, features); output shape (batch, features).
    """

    def __init__(self, units: int = 64, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if units <= 0:
            raise ValueError(f"units must be positive, got {units}")
        self.units = int(units)
        self.projection = layers.Dense(self.units, activation="tanh", name="projection")
        self.score = layers.Dense(1, use_bias=False, name="score")

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        if len(input_shape) != 3:
            raise ValueError(f"AttentionPooling1D expects (batch, steps, features), got {input_shape}")
        self.projection.build(input_shape)
        self.score.build((*input_shape[:2], self.units))

    def call(self, inputs: Any) -> Any:
        weights = keras.ops.softmax(self.score(self.projection(inputs)), axis=1)
        return keras.ops.sum(weights * inputs, axis=1)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (input_shape[0], input_shape[2])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units}

    def built_in(self, inputs: keras.KerasTensor) -> keras.KerasTensor:
        """The same pooling of ``inputs`` with built-in layers and copies of this layer's weights (for saved graphs).

        Equal to :meth:`call` up to float rounding: the weighted sum over time is a
        ``Dot`` product, whose order of additions differs from a sum's.
        """
        if not self.built:
            self.build(tuple(inputs.shape))
        projection = layers.Dense(self.units, activation="tanh", name=f"{self.name}_projection")
        score = layers.Dense(1, use_bias=False, name=f"{self.name}_score")
        scores = score(projection(inputs))
        projection.set_weights(self.projection.get_weights())
        score.set_weights(self.score.get_weights())
        weights = layers.Softmax(axis=1, name=f"{self.name}_weights")(scores)
        pooled = layers.Dot(axes=1, name=f"{self.name}_sum")([weights, inputs])
        return layers.Reshape((inputs.shape[-1],), name=self.name)(pooled)


@keras.saving.register_keras_serializable(package="ravdess_emotion")
class SpecAugment(layers.Layer):
    """SpecAugment masking (Park et al. 2019) of (batch, coefficients, frames) inputs, in training only.

    Each training example gets ``time_masks`` bands of up to ``max_time`` consecutive
    frames and ``frequency_masks`` bands of up to ``max_frequency`` consecutive
    coefficients set to ``fill`` (0: after standardisation, the mean). At inference
    the layer passes its input through unchanged, so a saved graph leaves it out.
    """

    def __init__(
        self,
        time_masks: int = 1,
        max_time: int = 20,
        frequency_masks: int = 1,
        max_frequency: int = 2,
        fill: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        for name, value in (
            ("time_masks", time_masks),
            ("max_time", max_time),
            ("frequency_masks", frequency_masks),
            ("max_frequency", max_frequency),
        ):
            if value < 0:
                raise ValueError(f"{name} must be 0 or more, got {value}")
        self.time_masks, self.max_time = int(time_masks), int(max_time)
        self.frequency_masks, self.max_frequency = int(frequency_masks), int(max_frequency)
        self.fill, self.seed = float(fill), seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def _bands(self, batch: Any, size: int, count: int, widest: int) -> Any:
        """(batch, size) booleans: ``count`` random bands of 0 to ``widest`` positions per example."""
        positions = keras.ops.arange(size, dtype="float32")[None, :]
        masked = keras.ops.zeros((batch, size), dtype="bool")
        for _ in range(count):
            width = keras.random.uniform((batch, 1), 0, widest + 1, seed=self.seed_generator)
            width = keras.ops.floor(width)
            start = keras.ops.floor(
                keras.random.uniform((batch, 1), 0, 1, seed=self.seed_generator) * (size - width + 1)
            )
            masked = keras.ops.logical_or(masked, (positions >= start) & (positions < start + width))
        return masked

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if not training:
            return inputs
        batch = keras.ops.shape(inputs)[0]
        coefficients, frames = inputs.shape[1], inputs.shape[2]
        time = self._bands(batch, frames, self.time_masks, min(self.max_time, frames))
        frequency = self._bands(
            batch, coefficients, self.frequency_masks, min(self.max_frequency, coefficients)
        )
        masked = keras.ops.logical_or(time[:, None, :], frequency[:, :, None])
        return keras.ops.where(masked, keras.ops.cast(self.fill, inputs.dtype), inputs)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "time_masks": self.time_masks,
            "max_time": self.max_time,
            "frequency_masks": self.frequency_masks,
            "max_frequency": self.max_frequency,
            "fill": self.fill,
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package="ravdess_emotion")
class LogLinearPooling(layers.Layer):
    """Log-linear pooling of class probabilities, ``softmax(sum_i weight_i log p_i)``: in ensembles saved before 2026-12-07.

    Kept so that those files load and predict as they did; new ensembles pool their
    members' logits with built-in layers (``ravdess_emotion.models.fusion.log_linear_pooling``).
    """

    def __init__(self, weights: Sequence[float] = (0.5, 0.5), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        values = [float(w) for w in weights]
        if len(values) < 2 or min(values) < 0 or not math.isclose(sum(values), 1.0, abs_tol=1e-6):
            raise ValueError(f"weights must be two or more non-negative numbers summing to 1, got {values}")
        self.pool_weights = tuple(values)

    def call(self, inputs: Sequence[Any]) -> Any:
        if len(inputs) != len(self.pool_weights):
            raise ValueError(
                f"LogLinearPooling has {len(self.pool_weights)} weights but got {len(inputs)} inputs"
            )
        logs = [
            weight * keras.ops.log(keras.ops.clip(keras.ops.cast(p, "float32"), 1e-12, 1.0))
            for weight, p in zip(self.pool_weights, inputs, strict=True)
        ]
        return keras.ops.softmax(sum(logs[1:], logs[0]), axis=-1)

    def compute_output_shape(self, input_shape: Sequence[tuple[int | None, ...]]) -> tuple[int | None, ...]:
        return tuple(input_shape[0])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "weights": list(self.pool_weights)}


def inference_graph(network: keras.Model) -> keras.Model:
    """``network`` as it predicts, with built-in layers only, sharing its layers and weights.

    :class:`SpecAugment` is left out and :class:`AttentionPooling1D` spelled with
    built-in layers (:meth:`AttentionPooling1D.built_in`); every other layer is the
    network's own. The result is uncompiled: no optimizer travels with a saved file.
    """

    def call(layer: layers.Layer, *args: Any, **kwargs: Any) -> Any:
        if isinstance(layer, SpecAugment):
            return args[0]
        if isinstance(layer, AttentionPooling1D):
            return layer.built_in(args[0])
        return layer(*args, **kwargs)

    return keras.models.clone_model(network, clone_function=lambda layer: layer, call_function=call)
