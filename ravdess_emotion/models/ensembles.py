"""Ensembles of audio models on different feature views of the same recordings, pooled into one network.

An :class:`AudioViewsEnsemble` is made of members, each a whole model with its own view,
feature settings and speaker prior: ``--preset ensemble`` pools logistic regression on
utterance functionals and the attention CNN-LSTM on MFCC images. Its saved graph holds
every member's layers (renamed ``<view>_...``) up to their logits, pooled by
``ravdess_emotion.models.fusion.log_linear_pooling``: built-in layers only, no nested
model, so the file loads with plain Keras and predicts like any other model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import keras
import numpy as np
from keras import layers

from ravdess_emotion.models.audio import AudioEmotionAttentionCNNLSTM, AudioEmotionLogistic
from ravdess_emotion.models.base import MODEL_CLASSES, ArrayOrPair, EmotionModel
from ravdess_emotion.models.fusion import late_fusion_weight, log_linear_pooling, pooling_weights
from ravdess_emotion.models.layers import AttentionPooling1D, LogLinearPooling, SpecAugment

DEFAULT_MEMBERS: dict[str, type[EmotionModel]] = {
    "functionals": AudioEmotionLogistic,
    "mfcc": AudioEmotionAttentionCNNLSTM,
}
"""The members :meth:`AudioViewsEnsemble.train` trains when none are named: ``--preset ensemble``'s networks."""


class AudioViewsEnsemble(EmotionModel):
    """Audio models on different feature views of the same recordings, pooled into one network.

    Inputs are ``[X_view, ...]`` in the order of ``metadata["views"]``, each prepared as
    its member's settings say (``metadata["members"]``). The weights are chosen on the
    validation actors by log-loss. An ensemble is made of trained members
    (:meth:`of_members`: ``train_models.py --preset ensemble`` trains each with its own
    recipe) or trained like any model on arrays of its views (:meth:`train`);
    :meth:`members` gives each member back as a model of its own.

    Parameters
    ----------
    member_classes : dict of str to EmotionModel subclass, optional
        View name -> the network :meth:`train` trains on it; by default :data:`DEFAULT_MEMBERS`.
    """

    kind = "audio_views"
    example_inputs = ("functionals", "mfcc")

    def __init__(
        self, *args: Any, member_classes: dict[str, type[EmotionModel]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.member_classes = dict(member_classes or DEFAULT_MEMBERS)

    @classmethod
    def of_members(cls, members: dict[str, EmotionModel], weights: dict[str, float]) -> AudioViewsEnsemble:
        """The ensemble of trained ``members`` (view name -> model), pooled with ``weights`` (view name -> weight).

        Each member's ``metadata`` (its feature settings and speaker prior) is kept under
        ``metadata["members"]``.
        """
        views = list(members)
        if len(views) < 2 or set(weights) != set(views):
            raise ValueError(
                f"an ensemble needs two or more members and a weight for each; got {views}, {weights}"
            )
        first = next(iter(members.values()))
        if len({m.num_emotions for m in members.values()}) != 1:
            raise ValueError("the members of an ensemble must predict the same emotions")
        for view, member in members.items():
            if len(member._require_model().inputs) != 1:
                raise ValueError(
                    f"member {view!r} takes {len(member.model.inputs)} inputs; a view member takes one"
                )
        ensemble = cls(
            num_emotions=first.num_emotions,
            learning_rate=first.learning_rate,
            dropout=first.dropout,
            member_classes={view: type(member) for view, member in members.items()},
        )
        networks = {view: member._require_model() for view, member in members.items()}
        ensemble.model = pooled_network(networks, {view: float(weights[view]) for view in views})
        ensemble._normalization_adapted = True
        ensemble.compile()
        ensemble.metadata = {
            "views": views,
            "view_weights": {v: float(weights[v]) for v in views},
            "members": {v: {**m.metadata, **m.description()} for v, m in members.items()},
        }
        return ensemble

    @property
    def views(self) -> list[str]:
        return list(self.metadata.get("views", []))

    @property
    def weights(self) -> dict[str, float]:
        """View name -> weight, as the saved network pools them."""
        network = self._require_model()
        legacy = _legacy_pooling(network)
        if legacy is not None:
            return dict(zip(self.views, legacy.pool_weights, strict=True))
        return pooling_weights(network, self.views)

    def members(self) -> dict[str, EmotionModel]:
        """Each member as a model of its own (view name -> model), with its metadata, ready to predict."""
        described = self.metadata.get("members")
        if not isinstance(described, dict) or set(described) != set(self.views) or not self.views:
            raise ValueError(
                "this ensemble's metadata does not describe its members (no 'views' and 'members')"
            )
        network = self._require_model()
        legacy = _legacy_pooling(network) is not None
        members = {}
        for index, view in enumerate(self.views):
            metadata = described[view]
            target = MODEL_CLASSES.get(metadata.get("model_class", ""))
            if target is None or issubclass(target, AudioViewsEnsemble):
                raise ValueError(
                    f"member {view!r}: model_class {metadata.get('model_class')!r} is not a member model"
                )
            member = target(
                num_emotions=self.num_emotions, learning_rate=self.learning_rate, dropout=self.dropout
            )
            if legacy:  # saved before 2026-12-07: each member nested whole
                member.model = network.get_layer(f"{view}_member")
            else:
                logits = network.get_layer(f"{view}_logits").output
                probabilities = layers.Activation("softmax", dtype="float32", name="emotion")(logits)
                member.model = keras.Model(network.inputs[index], probabilities, name=f"{view}_member")
            member._normalization_adapted = True
            member.metadata = metadata
            members[view] = member
        return members

    def _build(self, input_shape: Any) -> keras.Model:
        raise ValueError(
            "an ensemble is made of members: AudioViewsEnsemble.of_members(...), or train() on [X_view, ...]"
        )

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
        """Train each member on its view (``[X_view, ...]`` in the order of ``member_classes``), then pool them.

        Every member trains with the same epochs, batch size and patience, on its own
        default hyperparameters; the first member's weight is chosen on the validation
        data by log-loss (0.5 without it). Returns the last member's history.
        """
        views = list(self.member_classes)
        if not isinstance(X_train, list | tuple) or len(X_train) != len(views):
            raise ValueError(f"an ensemble trains on one array per member ({', '.join(views)})")
        has_validation = X_val is not None and y_val is not None
        members, history = {}, None
        for index, (view, member_class) in enumerate(self.member_classes.items()):
            member = member_class(self.num_emotions, self.learning_rate, self.dropout)
            history = member.train(
                X_train[index],
                y_train,
                X_val[index] if has_validation else None,
                y_val,
                epochs=epochs,
                batch_size=batch_size,
                patience=patience,
                callbacks=callbacks,
                verbose=verbose,
            )
            member.metadata = {**self.metadata.get("members", {}).get(view, {}), **member.metadata}
            members[view] = member
        weights = dict.fromkeys(views, 1 / len(views))
        if has_validation and len(views) == 2:
            first, second = (
                np.log(np.clip(members[view].predict(X_val[index]), 1e-12, 1.0))
                for index, view in enumerate(views)
            )
            weight = late_fusion_weight(first, second, y_val)
            weights = {views[0]: weight, views[1]: 1 - weight}
        pooled = AudioViewsEnsemble.of_members(members, weights)
        self.model, self.metadata = pooled.model, {**self.metadata, **pooled.metadata}
        self._normalization_adapted = True
        return history


def pooled_network(networks: dict[str, keras.Model], weights: dict[str, float]) -> keras.Model:
    """One flat network of every member's layers, their logits pooled (``fusion.log_linear_pooling``).

    Each member (view name -> its network, one input, a ``Dense`` softmax ``emotion``
    at the end) is copied onto an input of its own, its layers renamed
    ``<view>_<name>`` and its head's logits named ``<view>_logits``. No model is nested:
    a nested ``Normalization`` would keep its initial statistics when an ``.h5`` is
    loaded with plain Keras.
    """
    inputs, logits, taken = [], {}, set()
    for view, network in networks.items():
        source = network.inputs[0]
        name = source.name if source.name not in taken else f"{view}_{source.name}"
        taken.add(name)
        view_input = keras.Input(tuple(source.shape[1:]), name=name)
        inputs.append(view_input)
        logits[view] = member_logits(network, view, view_input)
    return keras.Model(inputs, log_linear_pooling(logits, weights), name="audio_views_ensemble")


def member_logits(network: keras.Model, view: str, inputs: keras.KerasTensor) -> keras.KerasTensor:
    """``network``'s layers copied under ``<view>_`` names onto ``inputs``, up to the logits under its softmax head.

    The head is a ``Dense`` softmax named ``emotion`` (every classifier of the project),
    whose logits are copied as a linear ``Dense`` named ``<view>_logits``; or the softmax
    ``Activation`` of a member taken out of an ensemble (:meth:`AudioViewsEnsemble.members`),
    whose input already is ``<view>_logits``. Training-only and custom layers become
    what a saved graph holds (``ravdess_emotion.models.layers.inference_graph``).
    """
    head = network.get_layer("emotion")
    if not isinstance(head, layers.Dense | layers.Activation):
        raise ValueError(f"{network.name}: its output layer 'emotion' is a {type(head).__name__}, not a softmax")
    sources: dict[str, layers.Layer] = {}
    head_inputs: list[keras.KerasTensor] = []

    def copy(layer: layers.Layer) -> layers.Layer:
        name = layer.name if layer.name.startswith(f"{view}_") else f"{view}_{layer.name}"
        renamed = type(layer).from_config({**layer.get_config(), "name": name})
        sources[renamed.name] = layer
        return renamed

    def call(layer: layers.Layer, *args: Any, **kwargs: Any) -> Any:
        source = sources[layer.name]
        if isinstance(source, SpecAugment):
            return args[0]
        if source is head:
            head_inputs.append(args[0])
        if isinstance(source, AttentionPooling1D):
            layer.build(tuple(args[0].shape))
            layer.set_weights(source.get_weights())
            return layer.built_in(args[0])
        outputs = layer(*args, **kwargs)  # builds it, so that it has weights to set
        layer.set_weights(source.get_weights())
        if isinstance(layer, layers.Normalization):
            layer.finalize_state()
        return outputs

    keras.models.clone_model(network, input_tensors=inputs, clone_function=copy, call_function=call)
    if isinstance(head, layers.Activation):
        return head_inputs[0]
    dense = layers.Dense(head.units, dtype="float32", name=f"{view}_logits")
    logits = dense(head_inputs[0])
    dense.set_weights(head.get_weights())
    return logits


def _legacy_pooling(network: keras.Model) -> LogLinearPooling | None:
    """The pooling layer of an ensemble saved before 2026-12-07 (its members nested whole), or None."""
    return next((layer for layer in network.layers if isinstance(layer, LogLinearPooling)), None)
