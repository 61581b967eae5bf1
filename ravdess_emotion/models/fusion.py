"""Late fusion: pooling the class probabilities of models that read different inputs, weighted.

One pooling serves every late fusion of the project: the log-linear pool
``softmax(sum_i w_i log p_i)``, a weighted geometric mean of the members'
probabilities, renormalised. Since ``log p_i`` and member ``i``'s logits differ by one
constant per sample, which the softmax cancels, a graph pools logits
(:func:`log_linear_pooling`, built-in layers only) and NumPy pools log-probabilities
(:func:`late_fusion_log_probabilities`) to the same result. The weights are chosen on
validation actors from :data:`POOLING_WEIGHTS` by log-loss (:func:`late_fusion_weight`).
"""

from __future__ import annotations

from collections.abc import Mapping

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import keras
import numpy as np
from keras import layers

POOLING_WEIGHTS = np.round(np.linspace(0.0, 1.0, 21), 2)
"""The weights of the first of two members tried on the validation actors: 0, 0.05, ..., 1."""


def late_fusion_log_probabilities(first: np.ndarray, second: np.ndarray, weight: float) -> np.ndarray:
    """``log softmax(weight·first + (1 − weight)·second)``, row by row.

    Parameters
    ----------
    first, second : ndarray, shape (n, classes)
        Logits (or log-probabilities: a constant per row changes nothing) of two models.
    weight : float
        Of ``first``, in [0, 1].
    """
    z = weight * np.asarray(first, np.float64) + (1 - weight) * np.asarray(second, np.float64)
    z -= z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def late_fusion_weight(
    first: np.ndarray, second: np.ndarray, y: np.ndarray, weights: np.ndarray = POOLING_WEIGHTS
) -> float:
    """The weight of ``first`` among ``weights`` whose late fusion has the lowest log-loss on labels ``y``.

    ``first`` and ``second`` are (n, classes) logits or log-probabilities of the same
    samples, ``y`` their (n,) class indices; the first of tied weights wins.
    """
    y = np.asarray(y, np.int64)
    losses = [
        -late_fusion_log_probabilities(first, second, weight)[np.arange(len(y)), y].mean()
        for weight in weights
    ]
    return float(weights[int(np.argmin(losses))])


def log_linear_pooling(
    logits: Mapping[str, keras.KerasTensor], weights: Mapping[str, float], prefix: str = ""
) -> keras.KerasTensor:
    """``softmax(sum_i w_i z_i)`` of the members' logits, with built-in layers.

    Each member's logits are scaled by a ``Rescaling`` layer named ``<prefix><member>_weight``
    (its weight is read back from there, :func:`pooling_weights`), summed by an ``Add``
    named ``<prefix>weighted_log_probabilities``, and turned into probabilities by a
    float32 softmax named ``prefix`` without its last underscore, or ``emotion``.

    Parameters
    ----------
    logits : mapping of str to tensor
        Member name -> its (batch, classes) logits.
    weights : mapping of str to float
        Member name -> its weight; the weights sum to 1.
    """
    if set(logits) != set(weights) or len(logits) < 2:
        raise ValueError(
            f"pooling needs two or more members, each with a weight; got {list(logits)}, {dict(weights)}"
        )
    scaled = [
        layers.Rescaling(float(weights[member]), name=f"{prefix}{member}_weight")(tensor)
        for member, tensor in logits.items()
    ]
    joined = layers.Add(name=f"{prefix}weighted_log_probabilities")(scaled)
    return layers.Activation("softmax", dtype="float32", name=prefix.rstrip("_") or "emotion")(joined)


def pooling_weights(network: keras.Model, members: list[str], prefix: str = "") -> dict[str, float]:
    """Member name -> weight, as the ``<prefix><member>_weight`` layers of ``network`` scale their logits."""
    return {member: float(network.get_layer(f"{prefix}{member}_weight").scale) for member in members}
