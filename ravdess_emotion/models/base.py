"""What every model shares: build, compile, train, evaluate, predict, save and load.

:class:`EmotionModel` is the interface ``emotion_models.py`` shows; each network class
(``ravdess_emotion.models.audio``, ``.video``, ``.faces``, ``.ensembles``) adds only how
its graph is built (a builder of ``ravdess_emotion.models.networks``) and its default
:class:`~ravdess_emotion.models.hyperparameters.Hyperparameters`. Every subclass is
registered in :data:`MODEL_CLASSES` by its name, which is how a saved model names its class.
Labels are class indices (``EMOTIONS[i]``); one-hot labels are accepted too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import keras
import numpy as np
from keras import layers

from ravdess_emotion.batches import MixupBatches
from ravdess_emotion.core.ravdess import EMOTIONS
from ravdess_emotion.models.hyperparameters import Hyperparameters
from ravdess_emotion.models.layers import inference_graph
from ravdess_emotion.models.persistence import load_network, read_metadata, write_model

ArrayOrPair = np.ndarray | Sequence[np.ndarray]

MODEL_CLASSES: dict[str, type[EmotionModel]] = {}
"""Every model class of the project by name (each subclass of :class:`EmotionModel` adds itself)."""


class EmotionModel:
    """What every model shares: compile, train, evaluate, predict, save, load.

    Parameters
    ----------
    num_emotions : int
        Output classes; 8 for RAVDESS (song uses only the first 6, but keeping 8
        outputs keeps class indices identical across channels).
    learning_rate : float
        Adam learning rate (times ``hyperparameters.learning_rate_scale``).
    dropout : float
        Dropout before the softmax; half of it between the recurrent and
        convolutional blocks.
    hyperparameters : Hyperparameters, optional
        The rest of the recipe; by default the class's :attr:`defaults`.
    """

    kind: ClassVar[str] = ""
    """The kind of model the class is, unless a saved model's metadata says otherwise
    (``ravdess_emotion.features.views.MODEL_KINDS``)."""
    defaults: ClassVar[Hyperparameters] = Hyperparameters()
    """The hyperparameters that measured best for this network."""
    example_inputs: ClassVar[tuple[str, ...]] = ()
    """The feature views the network reads by default, one per input (for examples and tests)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        MODEL_CLASSES[cls.__name__] = cls

    def __init__(
        self,
        num_emotions: int = len(EMOTIONS),
        learning_rate: float = 1e-3,
        dropout: float = 0.5,
        hyperparameters: Hyperparameters | None = None,
    ) -> None:
        if num_emotions < 2:
            raise ValueError(f"num_emotions must be at least 2, got {num_emotions}")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.num_emotions = num_emotions
        self.learning_rate = learning_rate
        self.dropout = dropout
        self.hyperparameters = hyperparameters or self.defaults
        self.model: keras.Model | None = None
        self.metadata: dict[str, Any] = {}
        self._normalization_adapted = False

    # -- building

    def build_model(self, input_shape: Any) -> keras.Model:
        """Build and compile the network for inputs of ``input_shape`` (without the batch axis)."""
        self.model = self._build(input_shape)
        self._normalization_adapted = False
        self.compile()
        return self.model

    def _build(self, input_shape: Any) -> keras.Model:
        raise NotImplementedError

    def compile(
        self, learning_rate: float | keras.optimizers.schedules.LearningRateSchedule | None = None
    ) -> None:
        """(Re)compile: Adam (AdamW with ``weight_decay``) and cross-entropy (label-smoothed if set)."""
        hp = self.hyperparameters
        rate = learning_rate or self.learning_rate * hp.learning_rate_scale
        optimizer = (
            keras.optimizers.AdamW(rate, weight_decay=hp.weight_decay)
            if hp.weight_decay
            else keras.optimizers.Adam(rate)
        )
        loss = (
            keras.losses.CategoricalCrossentropy(label_smoothing=hp.label_smoothing)
            if hp.label_smoothing
            else keras.losses.SparseCategoricalCrossentropy()
        )
        self.model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])

    def _targets(self, y: np.ndarray) -> np.ndarray:
        """Labels as the loss wants them: class indices, or one-hot rows for a label-smoothed loss."""
        indices = as_class_indices(y)
        if self.hyperparameters.label_smoothing:
            return keras.utils.to_categorical(indices, self.num_emotions)
        return indices

    def uses_cosine_decay(self) -> bool:
        """Whether training decays the learning rate along a cosine to 0 (``hyperparameters.cosine_decay``)."""
        return self.hyperparameters.cosine_decay

    def refit_settings(self) -> dict[str, Any]:
        """Constructor arguments a refit on training and validation actors keeps from this fit (none here)."""
        return {}

    def summary(self) -> None:
        self._require_model().summary()

    # -- training and inference

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
        """Fit on the training data, early-stopping on the validation loss when validation data is given.

        The model is built from the training data's shape if :meth:`build_model` was
        not called, and its input normalization is adapted to the training data.
        With ``patience`` set, the weights of the best validation epoch are restored.

        ``X_train`` (and ``X_val``) may also be a ``keras.utils.PyDataset`` that yields
        ``(inputs, labels)`` batches, such as ``ravdess_emotion.batches.VideoBatches`` streaming
        from the frame store; ``y_train``, ``y_val`` and ``batch_size`` are then unused.
        """
        if isinstance(X_train, keras.utils.PyDataset):  # batches carry their labels and their order
            first_inputs = X_train[0][0]
            # A dataset with paired audio offers all of it for the MFCC statistics; else its first batch.
            adaptation = getattr(X_train, "adaptation_inputs", None)
            adaptation = first_inputs if adaptation is None else adaptation
            steps_per_epoch = len(X_train)
            has_validation = X_val is not None
            data = {"x": X_train, "validation_data": X_val, "shuffle": False}
        else:
            y_train = self._targets(y_train)
            first_inputs = adaptation = X_train
            steps_per_epoch = math.ceil(len(y_train) / batch_size)
            has_validation = X_val is not None and y_val is not None
            validation = (_as_inputs(X_val), self._targets(y_val)) if has_validation else None
            data = {
                "x": _as_inputs(X_train),
                "y": y_train,
                "validation_data": validation,
                "batch_size": batch_size,
            }
            alpha = self.hyperparameters.mixup_alpha
            if alpha:
                batches = MixupBatches(X_train, y_train, batch_size, alpha, seed=len(y_train))
                data = {"x": batches, "validation_data": validation, "shuffle": False}
        if self.model is None:
            self.build_model(_shape_of(first_inputs))
        self._adapt_normalization(adaptation)
        if self.uses_cosine_decay():
            self._compile_cosine_decay(epochs * steps_per_epoch)
        all_callbacks = with_early_stopping(callbacks, has_validation, patience)
        return self.model.fit(**data, epochs=epochs, callbacks=all_callbacks, verbose=verbose)

    def evaluate(self, X: ArrayOrPair, y: np.ndarray, batch_size: int = 32) -> dict[str, float]:
        """Loss and accuracy on ``(X, y)``."""
        results = self._require_model().evaluate(
            _as_inputs(X), self._targets(y), batch_size=batch_size, verbose=0, return_dict=True
        )
        return {k: float(v) for k, v in results.items()}

    def predict(self, X: ArrayOrPair, batch_size: int = 32) -> np.ndarray:
        """Class probabilities, shape (n, num_emotions)."""
        return np.asarray(self._require_model().predict(_as_inputs(X), batch_size=batch_size, verbose=0))

    def predict_classes(self, X: ArrayOrPair, batch_size: int = 32) -> np.ndarray:
        """Most probable class index per sample, shape (n,)."""
        return self.predict(X, batch_size).argmax(axis=1)

    # -- persistence

    def save(self, path: str | Path, metadata: dict[str, Any] | None = None) -> Path:
        """Save the network (``.h5`` or ``.keras``) and its metadata as ``<stem>.json`` beside it.

        What is saved is the inference graph (:meth:`inference_network`), which plain
        ``keras.models.load_model`` reads. The metadata (feature settings, channel,
        emotions, ...) is what :meth:`load` and ``predict.py`` need to prepare inputs
        exactly as in training. Both files are written atomically (``ravdess_emotion.models.persistence``).
        """
        merged = {**self.metadata, **(metadata or {})}
        self.metadata = write_model(self.inference_network(), path, {**merged, **self.description(merged)})
        return Path(path)

    def inference_network(self) -> keras.Model:
        """The network as a file holds it: built-in layers only, nothing of training (``layers.inference_graph``)."""
        return inference_graph(self._require_model())

    def description(self, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        """What the metadata says of the network itself: its class, kind, emotions and the Keras that saved it."""
        return {
            "model_class": type(self).__name__,
            "kind": (metadata if metadata is not None else self.metadata).get("kind") or self.kind,
            "num_emotions": self.num_emotions,
            "emotions": list(EMOTIONS[: self.num_emotions]),
            "learning_rate": self.learning_rate,
            "dropout": self.dropout,
            "keras_version": keras.__version__,
            "backend": keras.backend.backend(),
        }

    @classmethod
    def load(cls, path: str | Path) -> EmotionModel:
        """Load a model saved by :meth:`save` (``.h5`` or ``.keras``), ready to predict or train on.

        Called on :class:`EmotionModel` itself, it returns an instance of the class
        named in the metadata.
        """
        metadata = read_metadata(path)
        metadata_file = Path(path).with_suffix(".json")
        target = MODEL_CLASSES.get(metadata.get("model_class", ""))
        if target is None:
            raise ValueError(
                f"{metadata_file}: model_class {metadata.get('model_class')!r} is not a model of this project"
            )
        if cls is not EmotionModel and not issubclass(target, cls):
            raise ValueError(f"{path} holds a {target.__name__}, not a {cls.__name__}")
        missing = [key for key in ("num_emotions", "learning_rate", "dropout") if key not in metadata]
        if missing:
            raise ValueError(f"{metadata_file}: lacks {', '.join(missing)}; not written by this project")
        instance = target(
            num_emotions=metadata["num_emotions"],
            learning_rate=metadata["learning_rate"],
            dropout=metadata["dropout"],
        )
        instance.model = load_network(path)
        instance._normalization_adapted = True  # its statistics come from the training data
        instance.compile()
        instance.metadata = metadata
        return instance

    # -- internals

    def _compile_cosine_decay(self, steps: int) -> None:
        """Recompile with the learning rate decaying along a cosine to 0 over ``steps`` batches.

        The schedule reads the optimizer's step count, so a run resumed from a backup
        continues on the same curve.
        """
        rate = self.learning_rate * self.hyperparameters.learning_rate_scale
        self.compile(keras.optimizers.schedules.CosineDecay(rate, decay_steps=max(1, steps)))

    def _require_model(self) -> keras.Model:
        if self.model is None:
            raise RuntimeError(f"{type(self).__name__}: call build_model() or train() first")
        return self.model

    def _adapt_normalization(self, X_train: ArrayOrPair) -> None:
        """Learn the input statistics of every ``Normalization`` layer that reads a model input, once.

        Each is adapted on the training data of the input it reads (MFCC 0 spans hundreds
        of units while the others span tens); frames in [0, 1] have none.
        """
        if self._normalization_adapted:
            return
        self._normalization_adapted = True
        inputs = list(X_train) if isinstance(X_train, list | tuple) else [X_train]
        for layer in self.model.layers:
            if not isinstance(layer, layers.Normalization):
                continue
            index = next((i for i, tensor in enumerate(self.model.inputs) if tensor is layer.input), None)
            if index is None:
                continue
            data = inputs[index] if len(inputs) > 1 else inputs[0]
            layer.adapt(np.asarray(data, dtype=np.float32))


def with_early_stopping(
    callbacks: Sequence[keras.callbacks.Callback], has_validation: bool, patience: int | None
) -> list[keras.callbacks.Callback]:
    """``callbacks``, and early stopping on the validation loss (best weights restored) when it applies."""
    all_callbacks = list(callbacks)
    if has_validation and patience is not None:
        all_callbacks.append(
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
        )
    return all_callbacks


def as_class_indices(y: np.ndarray) -> np.ndarray:
    """Class indices from indices or one-hot rows, shape (n,), int64."""
    y = np.asarray(y)
    if y.ndim == 2:
        return y.argmax(axis=1).astype(np.int64)
    return y.astype(np.int64)


def _as_inputs(X: ArrayOrPair) -> np.ndarray | list[np.ndarray]:
    return list(X) if isinstance(X, list | tuple) else X


def _shape_of(X: ArrayOrPair) -> Any:
    if isinstance(X, list | tuple):
        return tuple(np.shape(x)[1:] for x in X)
    return np.shape(X)[1:]
