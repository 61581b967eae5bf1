"""Emotion classifiers in Keras 3: audio CNN-LSTM, MLP and logistic regression, video 3D-CNN-LSTM, and their fusion.

``AudioEmotionCNNLSTM`` is the seed's model on MFCC images; ``AudioEmotionAttentionCNNLSTM``
the same layers with SpecAugment masking and attention pooling, trained with mixup. ``AudioEmotionLogistic``
(the ``--preset best`` audio model) and ``AudioEmotionMLP`` read utterance functionals
(``ravdess_emotion.features.functionals``). ``AUEmotionLogistic`` and ``AUEmotionLSTM``
read facial action units (clip vectors and frame sequences,
``ravdess_emotion.features.action_units``); ``AudioAUEmotionFusion`` reads audio and
action units of the same take in one network (early fusion), ``AudioAULateFusion``
combines an audio and a face model trained apart, weighted on the validation actors
(late fusion). ``AudioViewsEnsemble`` pools trained audio models on different feature
views of the same recordings (functionals and MFCC images) into one network.

Every model follows one interface (``emotion_models.py`` shows it): ``build_model``,
``train``, ``evaluate``, ``predict``, ``save`` (with the metadata ``predict.py`` needs)
and ``load``.

The graphs use only built-in layers and three registered layers of this module
(:class:`AttentionPooling1D`, :class:`SpecAugment`, :class:`LogLinearPooling`), never a ``Lambda``, so they save
to ``.h5`` and ``.keras`` and load on the TensorFlow, JAX and PyTorch backends with
``safe_mode`` on. Labels are class indices (``EMOTIONS[i]``); one-hot labels are accepted too.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import keras
import numpy as np
from keras import layers

from ravdess_emotion.core.files import atomic_path, file_sha256, write_text_atomically
from ravdess_emotion.core.ravdess import EMOTIONS

ArrayOrPair = np.ndarray | Sequence[np.ndarray]


# --------------------------------------------------------------------------- building blocks


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


@keras.saving.register_keras_serializable(package="ravdess_emotion")
class SpecAugment(layers.Layer):
    """SpecAugment masking (Park et al. 2019) of (batch, coefficients, frames) inputs, in training only.

    Each training example gets ``time_masks`` bands of up to ``max_time`` consecutive
    frames and ``frequency_masks`` bands of up to ``max_frequency`` consecutive
    coefficients set to ``fill`` (0: after standardisation, the mean). At inference
    the layer passes its input through unchanged, so a saved model predicts without it.
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


def audio_branch(
    inputs: keras.KerasTensor, dropout: float = 0.5, spec_augment: bool = False, attention: bool = False
) -> keras.KerasTensor:
    """Conv2D feature maps over (time, coefficient), then LSTM 128 → LSTM 64.

    ``inputs`` has shape (batch, n_mfcc, frames); the output (batch, 64). With
    ``spec_augment``, training examples are masked (:class:`SpecAugment`) after the
    standardisation; with ``attention``, the LSTM outputs are pooled over time by
    :class:`AttentionPooling1D` instead of averaged.
    """
    n_coefficients, n_frames = inputs.shape[1:]
    # Per-coefficient standardisation, learned from the training data by ``adapt``:
    # MFCC 0 spans hundreds of units while the others span tens.
    x = layers.Normalization(axis=1, name="mfcc_normalization")(inputs)
    if spec_augment:
        x = SpecAugment(name="spec_augment")(x)
    x = layers.Permute((2, 1), name="audio_time_major")(x)
    x = layers.Reshape((n_frames, n_coefficients, 1), name="audio_as_image")(x)
    for filters in (32, 64):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D((2, 2) if x.shape[2] >= 2 else (2, 1))(x)
        x = layers.Dropout(dropout / 2)(x)
    steps, width, channels = x.shape[1:]
    x = layers.Reshape((steps, width * channels), name="audio_as_sequence")(x)
    x = layers.LSTM(128, return_sequences=True, dtype="float32")(x)
    x = layers.Dropout(dropout / 2)(x)
    x = layers.LSTM(64, return_sequences=True, dtype="float32")(x)
    if attention:
        return AttentionPooling1D(name="audio_attention_pooling")(x)
    # Average the LSTM outputs over time instead of keeping only the last step: the last
    # steps of a padded clip are silence, and the gradient reaches every step directly.
    return layers.GlobalAveragePooling1D(name="audio_time_pooling")(x)


def video_branch(inputs: keras.KerasTensor, dropout: float = 0.5) -> keras.KerasTensor:
    """Conv3D blocks (32, 64, 128 filters), a coarse spatial grid per time step, then LSTM 128.

    ``inputs`` has shape (batch, frames, height, width, 3) in [0, 1]; the output (batch, 128).
    """
    x = inputs
    for i, filters in enumerate((32, 64, 128)):
        x = layers.Conv3D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        # Halve space every block, and time once (in the middle block) when there is time to halve.
        time_pool = 2 if i == 1 and x.shape[1] >= 4 else 1
        x = layers.MaxPooling3D((time_pool, 2 if x.shape[2] >= 2 else 1, 2 if x.shape[3] >= 2 else 1))(x)
    # Pool to a grid of about 4x4 so the LSTM sees where things are (mouth below, brows
    # above) without the parameter count growing with the frame size.
    steps, height, width, channels = x.shape[1:]
    grid = (1, max(1, height // 4), max(1, width // 4))
    x = layers.AveragePooling3D(grid, name="video_spatial_grid")(x)
    steps, height, width, channels = x.shape[1:]
    x = layers.Reshape((steps, height * width * channels), name="video_as_sequence")(x)
    x = layers.Dropout(dropout / 2)(x)
    x = layers.LSTM(128, return_sequences=True, dtype="float32")(x)
    return layers.GlobalAveragePooling1D(name="video_time_pooling")(x)


def classifier_head(
    x: keras.KerasTensor, num_emotions: int, dropout: float, width: int = 64
) -> keras.KerasTensor:
    """Dense → dropout → softmax over emotions (kept in float32 under mixed precision)."""
    x = layers.Dense(width, activation="relu")(x)
    x = layers.Dropout(dropout)(x)
    return layers.Dense(num_emotions, activation="softmax", dtype="float32", name="emotion")(x)


# --------------------------------------------------------------------------- the common interface


class EmotionModel:
    """What every model shares: compile, train, evaluate, predict, save, load.

    Parameters
    ----------
    num_emotions : int
        Output classes; 8 for RAVDESS (song uses only the first 6, but keeping 8
        outputs keeps class indices identical across channels).
    learning_rate : float
        Adam learning rate.
    dropout : float
        Dropout before the softmax; half of it between the recurrent and
        convolutional blocks.
    """

    kind: ClassVar[str] = ""
    label_smoothing: ClassVar[float] = 0.0
    """Above 0, the loss is categorical cross-entropy against smoothed one-hot labels."""
    weight_decay: ClassVar[float] = 0.0
    """Above 0, AdamW with this decoupled weight decay instead of Adam."""
    cosine_decay: ClassVar[bool] = False
    """The learning rate falls along a cosine to 0 over the epochs that :meth:`train` is given."""
    learning_rate_scale: ClassVar[float] = 1.0
    """Multiplies ``learning_rate`` (``--learning-rate``) for this network; see :class:`AUEmotionLogistic`."""
    mixup_alpha: ClassVar[float] = 0.0
    """Above 0, training batches from arrays are mixed pairwise (:class:`MixupBatches`)."""

    def __init__(self, num_emotions: int = len(EMOTIONS), learning_rate: float = 1e-3, dropout: float = 0.5):
        if num_emotions < 2:
            raise ValueError(f"num_emotions must be at least 2, got {num_emotions}")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.num_emotions = num_emotions
        self.learning_rate = learning_rate
        self.dropout = dropout
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
        rate = learning_rate or self.learning_rate * self.learning_rate_scale
        optimizer = (
            keras.optimizers.AdamW(rate, weight_decay=self.weight_decay)
            if self.weight_decay
            else keras.optimizers.Adam(rate)
        )
        loss = (
            keras.losses.CategoricalCrossentropy(label_smoothing=self.label_smoothing)
            if self.label_smoothing
            else keras.losses.SparseCategoricalCrossentropy()
        )
        self.model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])

    def _targets(self, y: np.ndarray) -> np.ndarray:
        """Labels as the loss wants them: class indices, or one-hot rows for a label-smoothed loss."""
        indices = as_class_indices(y)
        return keras.utils.to_categorical(indices, self.num_emotions) if self.label_smoothing else indices

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
            if self.mixup_alpha:
                batches = MixupBatches(X_train, y_train, batch_size, self.mixup_alpha, seed=len(y_train))
                data = {"x": batches, "validation_data": validation, "shuffle": False}
        if self.model is None:
            self.build_model(_shape_of(first_inputs))
        self._adapt_normalization(adaptation)
        if self.cosine_decay:
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

        The metadata (feature settings, channel, emotions, ...) is what
        :meth:`load` and ``predict.py`` need to prepare inputs exactly as in training.
        """
        path = Path(path)
        if path.suffix not in (".h5", ".keras"):
            raise ValueError(f"{path}: the model file must end in .h5 or .keras")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.metadata = {**self.metadata, **(metadata or {}), **self.description()}
        # Both are written under temporary names before either is renamed: a crash or a full
        # disk mid-save never leaves a broken model under the real name. Two files cannot be
        # renamed at once, so the metadata also records the checksum of the network file it
        # belongs to, and load() refuses a pair that a kill between the two renames split.
        metadata_path = metadata_path_for(path)
        with atomic_path(path, keep_suffix=True) as tmp:
            with _quiet_h5_notice():
                copy = self._uncompiled_copy()
                # .h5 would otherwise keep a training config, and loading it would compile.
                copy.save(tmp, **({"include_optimizer": False} if path.suffix == ".h5" else {}))
            # One .json serves the .h5 and the .keras of a model: it keeps both checksums.
            files = {**self.metadata.get("model_files", {}), path.name: file_sha256(tmp)}
            self.metadata["model_files"] = files
            write_text_atomically(metadata_path, json.dumps(self.metadata, indent=2, sort_keys=True) + "\n")
        return path

    def description(self) -> dict[str, Any]:
        """What the metadata says of the network itself: its class, kind, emotions and the Keras that saved it."""
        return {
            "model_class": type(self).__name__,
            "kind": self.kind,
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
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such model file")
        metadata_file = metadata_path_for(path)
        if not metadata_file.exists():
            raise ValueError(
                f"{path}: no {metadata_file.name} beside it; was it saved by this project's train_models.py?"
            )
        try:
            metadata = json.loads(metadata_file.read_text())
        except (ValueError, UnicodeDecodeError) as error:
            raise ValueError(f"{metadata_file}: not the JSON metadata of a model ({error})") from None
        if not isinstance(metadata, dict):
            raise ValueError(f"{metadata_file}: not the JSON metadata of a model (no object at the top)")
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
        expected = metadata.get("model_files", {}).get(path.name)  # absent in metadata of older versions
        if expected is not None and file_sha256(path) != expected:
            raise ValueError(
                f"{path} and {metadata_file} do not belong together: the network file is not the one this "
                "metadata was written for (a save interrupted between the two files, or a file copied over "
                "the other); train the model again, or restore both files from the same run"
            )
        instance = target(
            num_emotions=metadata["num_emotions"],
            learning_rate=metadata["learning_rate"],
            dropout=metadata["dropout"],
        )
        # compile=False then compile again: an .h5 file carries no optimizer state that
        # every backend can restore, and fit() after a compiled .h5 load fails on all of them.
        # safe_mode stays on: a file that would run code (a Lambda layer, say) is refused.
        try:
            instance.model = keras.saving.load_model(path, compile=False, safe_mode=True)
        except Exception as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ValueError(f"{path}: not a loadable model of this project ({reason})") from error
        _finalize_nested_state(instance.model)
        instance._normalization_adapted = True  # its statistics come from the training data
        instance.compile()
        instance.metadata = metadata
        return instance

    # -- internals

    def _uncompiled_copy(self) -> keras.Model:
        """What :meth:`save` writes: the network without its optimizer (:func:`_without_optimizer`)."""
        return _without_optimizer(self._require_model())

    def _compile_cosine_decay(self, steps: int) -> None:
        """Recompile with the learning rate decaying along a cosine to 0 over ``steps`` batches.

        The schedule reads the optimizer's step count, so a run resumed from a backup
        continues on the same curve.
        """
        rate = self.learning_rate * self.learning_rate_scale
        self.compile(keras.optimizers.schedules.CosineDecay(rate, decay_steps=max(1, steps)))

    def _require_model(self) -> keras.Model:
        if self.model is None:
            raise RuntimeError(f"{type(self).__name__}: call build_model() or train() first")
        return self.model

    def _adapt_normalization(self, X_train: ArrayOrPair) -> None:
        """Learn the audio feature statistics from the first training data a newly built model sees."""
        if self._normalization_adapted:
            return
        self._normalization_adapted = True
        inputs = list(X_train) if isinstance(X_train, list | tuple) else [X_train]
        input_names = [tensor.name for tensor in self.model.inputs]
        for layer_name, input_name in NORMALIZATION_INPUTS.items():
            if input_name not in input_names or layer_name not in {layer.name for layer in self.model.layers}:
                continue  # e.g. a video model: its frames are already in [0, 1]
            data = inputs[input_names.index(input_name)] if len(inputs) > 1 else inputs[0]
            self.model.get_layer(layer_name).adapt(np.asarray(data, dtype=np.float32))


class AudioEmotionCNNLSTM(EmotionModel):
    """Audio model: MFCC (n_mfcc, frames) → Conv2D ×2 → LSTM 128 → LSTM 64 → dense → softmax."""

    kind = "audio"
    spec_augment: ClassVar[bool] = False
    """SpecAugment masks after the input standardisation (:func:`audio_branch`)."""
    attention: ClassVar[bool] = False
    """Attention pooling over the LSTM outputs instead of their average (:func:`audio_branch`)."""
    network_name: ClassVar[str] = "audio_emotion_cnn_lstm"

    def _build(self, input_shape: Sequence[int]) -> keras.Model:
        input_shape = tuple(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"audio input shape must be (n_mfcc, frames), got {input_shape}")
        inputs = keras.Input(input_shape, name="mfcc")
        features = audio_branch(
            inputs, self.dropout, spec_augment=self.spec_augment, attention=self.attention
        )
        outputs = classifier_head(features, self.num_emotions, self.dropout)
        return keras.Model(inputs, outputs, name=self.network_name)


class AudioEmotionAttentionCNNLSTM(AudioEmotionCNNLSTM):
    """The seed's CNN-LSTM layers with a training recipe: SpecAugment, attention pooling, mixup.

    MFCC (n_mfcc, frames) → standardise → SpecAugment masks (training only) → Conv2D ×2 →
    LSTM 128 → LSTM 64 → attention pooling → dense → softmax. Trained with mixup
    (α 0.2), label smoothing 0.1, AdamW (weight decay 0.01) and a cosine learning-rate
    decay to 0 over the epochs.
    """

    spec_augment = True
    attention = True
    network_name = "audio_emotion_attention_cnn_lstm"
    label_smoothing = 0.1
    weight_decay = 1e-2
    cosine_decay = True
    mixup_alpha = 0.2


class MixupBatches(keras.utils.PyDataset):
    """Training batches of arrays mixed pairwise: mixup (Zhang et al. 2018).

    Each batch is drawn from a new shuffle of the rows; every example is replaced by
    ``λ x_i + (1 − λ) x_j`` with a random partner ``j`` of the same batch, and its
    one-hot label likewise, ``λ`` drawn from Beta(α, α) per example.

    Parameters
    ----------
    X : np.ndarray
        Inputs, shape (n, ...).
    y : np.ndarray
        One-hot (or smoothed) labels, shape (n, classes).
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, batch_size: int, alpha: float, seed: int = 0) -> None:
        super().__init__()
        X, y = np.asarray(X), np.asarray(y, dtype=np.float32)
        if y.ndim != 2 or len(y) != len(X):
            raise ValueError(
                f"mixup needs one-hot labels (n, classes) for the n inputs; got {y.shape} for {len(X)}"
            )
        if alpha <= 0:
            raise ValueError(f"mixup's alpha must be positive, got {alpha}")
        self.X, self.y, self.batch_size, self.alpha = X, y, int(batch_size), float(alpha)
        self._rng = np.random.default_rng(seed)
        self._order = self._rng.permutation(len(X))

    def __len__(self) -> int:
        return math.ceil(len(self.X) / self.batch_size)

    def on_epoch_end(self) -> None:
        self._order = self._rng.permutation(len(self.X))

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        rows = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        # A generator of its own per batch: the same batch whatever thread asks for it, and when.
        rng = np.random.default_rng([int(rows[0]), index, len(self.X)])
        weight = rng.beta(self.alpha, self.alpha, len(rows)).astype(np.float32)
        partner = rows[rng.permutation(len(rows))]
        shape = (len(rows),) + (1,) * (self.X.ndim - 1)
        X = weight.reshape(shape) * self.X[rows] + (1 - weight.reshape(shape)) * self.X[partner]
        y = weight[:, None] * self.y[rows] + (1 - weight[:, None]) * self.y[partner]
        return X.astype(np.float32), y


def functionals_input(input_shape: Sequence[int]) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """The input of a model on utterance functionals, and that input standardised.

    The standardisation's statistics are learned from the training data (``adapt``).
    """
    input_shape = tuple(input_shape)
    if len(input_shape) != 1:
        raise ValueError(f"functionals input shape must be (n_features,), got {input_shape}")
    inputs = keras.Input(input_shape, name="functionals")
    return inputs, layers.Normalization(name="functionals_normalization")(inputs)


class AudioEmotionMLP(EmotionModel):
    """Audio model on utterance functionals: standardise → dropout → dense 512 → dropout → softmax.

    Its input is one vector per file (``ravdess_emotion.features.functionals``), usually standardised per
    speaker; ``dropout`` applies to the input features and to the hidden layer. Trained
    with label smoothing 0.1 and AdamW (weight decay 0.01).
    """

    kind = "audio"
    label_smoothing = 0.1
    weight_decay = 1e-2
    hidden_units: ClassVar[int] = 512

    def _build(self, input_shape: Sequence[int]) -> keras.Model:
        inputs, x = functionals_input(input_shape)
        # Dropping input features: 1,456 correlated statistics from ~1,000 files overfit otherwise.
        x = layers.Dropout(self.dropout, name="feature_dropout")(x)
        x = layers.Dense(self.hidden_units, activation="relu")(x)
        x = layers.Dropout(self.dropout)(x)
        outputs = layers.Dense(self.num_emotions, activation="softmax", dtype="float32", name="emotion")(x)
        return keras.Model(inputs, outputs, name="audio_emotion_mlp")


class AudioEmotionLogistic(EmotionModel):
    """Audio model on utterance functionals (``--preset best``): standardise → softmax, with an L2 penalty.

    Multinomial logistic regression as a Keras model: on ~1,000 training files of 16
    actors, a linear model with a strong penalty generalises to new actors better than
    the hidden layer of :class:`AudioEmotionMLP` (``benchmarks/audio.py``). Trained with
    Adam and a cosine-decayed learning rate so that it settles at the penalised optimum;
    ``dropout`` is unused.
    """

    kind = "audio"
    cosine_decay = True
    l2_penalty: ClassVar[float] = 0.03

    def _build(self, input_shape: Sequence[int]) -> keras.Model:
        inputs, x = functionals_input(input_shape)
        outputs = layers.Dense(
            self.num_emotions,
            activation="softmax",
            kernel_regularizer=keras.regularizers.L2(self.l2_penalty),
            dtype="float32",
            name="emotion",
        )(x)
        return keras.Model(inputs, outputs, name="audio_emotion_logistic")


def action_units_input(input_shape: Sequence[int]) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """The input of a model on AU features (a clip vector or a (frames, 35) sequence), standardised.

    The statistics are learned from the training data (``adapt``), per feature (per AU for sequences).
    """
    input_shape = tuple(input_shape)
    if len(input_shape) not in (1, 2):
        raise ValueError(
            f"action-unit input shape must be (n_features,) or (frames, units), got {input_shape}"
        )
    inputs = keras.Input(input_shape, name="action_units")
    return inputs, layers.Normalization(axis=-1, name="au_normalization")(inputs)


def au_sequence_branch(x: keras.KerasTensor, dropout: float) -> keras.KerasTensor:
    """LSTM 64 over the AU frames, averaged over time: (batch, frames, 35) → (batch, 64)."""
    x = layers.LSTM(64, return_sequences=True, dtype="float32")(x)
    x = layers.Dropout(dropout / 2)(x)
    return layers.GlobalAveragePooling1D(name="au_time_pooling")(x)


def logistic_output(x: keras.KerasTensor, num_emotions: int, l2_penalty: float) -> keras.KerasTensor:
    """Softmax over emotions with an L2 penalty on the weights: multinomial logistic regression."""
    return layers.Dense(
        num_emotions,
        activation="softmax",
        kernel_regularizer=keras.regularizers.L2(l2_penalty),
        dtype="float32",
        name="emotion",
    )(x)


class AUEmotionLogistic(EmotionModel):
    """Face model on clip AU features (``--preset best``): standardise → softmax, with an L2 penalty.

    The face counterpart of :class:`AudioEmotionLogistic`: action units are few,
    interpretable and, standardised per actor, close to linearly separable, so a
    penalised linear model generalises to new actors (``benchmarks/faces.py``).
    ``dropout`` is unused. It trains at 10 times the learning rate given: with 25
    batches an epoch, 60 epochs at 0.001 stop short of the penalised optimum
    (0.763 against 0.779 at 0.01 in 5-fold actor cross-validation on real speech).
    """

    kind = "au"
    cosine_decay = True
    learning_rate_scale = 10.0
    l2_penalty: ClassVar[float] = 0.01

    def _build(self, input_shape: Sequence[int]) -> keras.Model:
        if len(tuple(input_shape)) != 1:
            raise ValueError(f"AUEmotionLogistic reads clip vectors (n_features,), got {tuple(input_shape)}")
        inputs, x = action_units_input(input_shape)
        return keras.Model(
            inputs, logistic_output(x, self.num_emotions, self.l2_penalty), name="au_emotion_logistic"
        )


class AUEmotionLSTM(EmotionModel):
    """Temporal face model: AU frames (frames, 35) → LSTM 64 → mean over time → dense → softmax.

    The seed's LSTM idea on action-unit sequences instead of pixels.
    """

    kind = "au"

    def _build(self, input_shape: Sequence[int]) -> keras.Model:
        if len(tuple(input_shape)) != 2:
            raise ValueError(f"AUEmotionLSTM reads AU sequences (frames, units), got {tuple(input_shape)}")
        inputs, x = action_units_input(input_shape)
        x = au_sequence_branch(x, self.dropout)
        outputs = classifier_head(x, self.num_emotions, self.dropout)
        return keras.Model(inputs, outputs, name="au_emotion_lstm")


class AudioAUEmotionFusion(EmotionModel):
    """Audio + action units of the same take in one network (early fusion).

    ``build_model((audio_shape, au_shape))``; inputs are ``[X_audio, X_au]``. On utterance
    functionals and clip AU vectors (``--preset best``) both are standardised, joined and
    classified by one penalised softmax: logistic regression on both views. On MFCC
    images and AU sequences (the seed's recipe) the audio CNN-LSTM branch and an AU LSTM
    branch are joined under a shared dense classifier, as in :class:`MultimodalEmotionFusion`.
    """

    kind = "fusion_au"
    l2_penalty: ClassVar[float] = 0.03

    @property
    def cosine_decay(self) -> bool:  # type: ignore[override]
        # The linear model settles at its penalised optimum; the networks stop early instead.
        return self.model is not None and self.model.name == "audio_au_emotion_logistic"

    def _build(self, input_shape: Sequence[Sequence[int]]) -> keras.Model:
        if len(input_shape) != 2:
            raise ValueError("audio+AU fusion input shape must be (audio_shape, au_shape)")
        audio_shape, au_shape = (tuple(s) for s in input_shape)
        au_inputs, au = action_units_input(au_shape)
        if len(audio_shape) == 1 and len(au_shape) == 1:
            audio_inputs, audio = functionals_input(audio_shape)
            joined = layers.Concatenate(name="fusion")([audio, au])
            outputs = logistic_output(joined, self.num_emotions, self.l2_penalty)
            return keras.Model([audio_inputs, au_inputs], outputs, name="audio_au_emotion_logistic")
        if len(audio_shape) == 1:
            audio_inputs, audio = functionals_input(audio_shape)
        else:
            audio_inputs = keras.Input(audio_shape, name="mfcc")
            audio = audio_branch(audio_inputs, self.dropout)
        au = au_sequence_branch(au, self.dropout) if len(au_shape) == 2 else au
        joined = layers.Concatenate(name="fusion")([audio, au])
        outputs = classifier_head(joined, self.num_emotions, self.dropout, width=128)
        return keras.Model([audio_inputs, au_inputs], outputs, name="audio_au_emotion_fusion")


class AudioAULateFusion(EmotionModel):
    """Late fusion: an audio and a face logistic model trained apart, their log-probabilities weighted.

    ``build_model((audio_shape, au_shape))`` on utterance functionals and clip AU vectors;
    inputs are ``[X_audio, X_au]``. The two models are penalised softmax regressions (as
    :class:`AudioEmotionLogistic` and :class:`AUEmotionLogistic`) trained side by side on
    their own losses (they share no weight, so each learns as if alone); the prediction
    is ``softmax(w · log p_audio + (1 - w) · log p_au)``, a weighted geometric mean of the
    two. ``w`` (``audio_weight``) is chosen after training on the validation data, the
    grid :data:`AUDIO_WEIGHTS` by log-loss; a refit without validation data keeps the
    weight of the first fit (:meth:`refit_settings`). The weight lives in the saved
    graph (a ``Rescaling`` layer per branch), so the file predicts like any other.
    """

    kind = "fusion_au"
    cosine_decay = True
    AUDIO_WEIGHTS: ClassVar[np.ndarray] = np.round(np.linspace(0.0, 1.0, 21), 2)

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
        audio_inputs, audio = functionals_input(audio_shape)
        au_inputs, au = action_units_input(au_shape)
        self._audio_logits = layers.Dense(
            self.num_emotions,
            kernel_regularizer=keras.regularizers.L2(AudioEmotionLogistic.l2_penalty),
            name="audio_logits",
        )(audio)
        self._au_logits = layers.Dense(
            self.num_emotions,
            kernel_regularizer=keras.regularizers.L2(AUEmotionLogistic.l2_penalty),
            name="au_logits",
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
            [audio_probs, au_probs, self._combined(0.5, "training")],
            name="late_fusion_training",
        )

    def _combined(self, weight: float, prefix: str = "") -> keras.KerasTensor:
        name = f"{prefix}_" if prefix else ""
        joined = layers.Add(name=f"{name}weighted_log_probabilities")(
            [
                layers.Rescaling(weight, name=f"{name}audio_weight")(self._audio_logits),
                layers.Rescaling(1.0 - weight, name=f"{name}au_weight")(self._au_logits),
            ]
        )
        # softmax(w·za + (1-w)·zf) = softmax(w·log pa + (1-w)·log pf): each log-softmax differs from its
        # logits by one constant per sample, which the softmax cancels.
        return layers.Activation("softmax", dtype="float32", name=prefix or "emotion")(joined)

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
            self.learning_rate * self.learning_rate_scale, steps
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

    def _best_weight(self, X_val: ArrayOrPair, y_val: np.ndarray) -> float:
        """The grid weight whose fused prediction has the lowest log-loss on the validation data."""
        branches = keras.Model(self._inputs, [self._audio_logits, self._au_logits])
        audio_logits, au_logits = branches.predict(_as_inputs(X_val), verbose=0)
        return late_fusion_weight(audio_logits, au_logits, y_val, self.AUDIO_WEIGHTS)

    def save(self, path: str | Path, metadata: dict[str, Any] | None = None) -> Path:
        return super().save(path, {**(metadata or {}), "audio_weight": self.audio_weight})


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


def late_fusion_weight(first: np.ndarray, second: np.ndarray, y: np.ndarray, weights: np.ndarray) -> float:
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


# --------------------------------------------------------------------------- ensembles of feature views


@keras.saving.register_keras_serializable(package="ravdess_emotion")
class LogLinearPooling(layers.Layer):
    """Log-linear pooling of class probabilities: ``softmax(sum_i weight_i log p_i)``.

    A weighted geometric mean of the members' probabilities, renormalised; with two
    members and weights ``(w, 1 - w)`` it is :func:`late_fusion_log_probabilities`
    exponentiated. Probabilities are clipped at 1e-12 before the logarithm, so a member
    certain that a class is impossible vetoes it without producing NaN.

    Input: a list of (batch, classes) probabilities, one per weight; output (batch, classes).
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


def _pooled_network(networks: dict[str, keras.Model], weights: Sequence[float]) -> keras.Model:
    """One network: each view's network nested whole as ``<view>_member``, their outputs pooled (:class:`LogLinearPooling`)."""
    inputs, probabilities = [], []
    for view, network in networks.items():
        nested = keras.Model(network.inputs[0], network.outputs[0], name=f"{view}_member")
        view_input = keras.Input(tuple(network.inputs[0].shape[1:]), name=network.inputs[0].name)
        inputs.append(view_input)
        probabilities.append(nested(view_input))
    pooled = LogLinearPooling(weights, name="emotion")(probabilities)
    return keras.Model(inputs, pooled, name="audio_views_ensemble")


class AudioViewsEnsemble(EmotionModel):
    """Audio models on different feature views of the same recordings, pooled into one network.

    The ``--preset ensemble`` audio model: logistic regression on utterance functionals
    (``--preset best``) and the attention CNN-LSTM on 40 MFCC x 216 (``--preset
    cnn-lstm``), each trained with its own recipe and pooled by :class:`LogLinearPooling`
    with the weights chosen on the validation actors
    (``ravdess_emotion.training.ensembles``). Inputs are ``[X_view, ...]`` in the order
    of ``metadata["views"]``, each prepared as its member's settings say; the members are
    nested whole (``<view>_member``), so the file predicts like any other.

    An ensemble is made of trained members (:meth:`of_members`), not trained itself.
    :meth:`members` gives each member back as a model of its own, with its feature
    settings and speaker prior, which is how ``predict.py`` prepares its inputs.
    """

    kind = "audio_views"

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
        ensemble = cls(
            num_emotions=first.num_emotions, learning_rate=first.learning_rate, dropout=first.dropout
        )
        for view, member in members.items():
            if len(member._require_model().inputs) != 1:
                raise ValueError(
                    f"member {view!r} takes {len(member.model.inputs)} inputs; a view member takes one"
                )
        ensemble.model = _pooled_network(
            {v: m.model for v, m in members.items()}, [weights[v] for v in views]
        )
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
        pooling = self._require_model().get_layer("emotion")
        return dict(zip(self.views, pooling.pool_weights, strict=True))

    def members(self) -> dict[str, EmotionModel]:
        """Each member as a model of its own (view name -> model), with its metadata, ready to predict."""
        described = self.metadata.get("members")
        if not isinstance(described, dict) or set(described) != set(self.views) or not self.views:
            raise ValueError(
                "this ensemble's metadata does not describe its members (no 'views' and 'members')"
            )
        members = {}
        for view in self.views:
            metadata = described[view]
            target = MODEL_CLASSES.get(metadata.get("model_class", ""))
            if target is None or target is AudioViewsEnsemble:
                raise ValueError(
                    f"member {view!r}: model_class {metadata.get('model_class')!r} is not a member model"
                )
            member = target(
                num_emotions=self.num_emotions, learning_rate=self.learning_rate, dropout=self.dropout
            )
            member.model = self._require_model().get_layer(f"{view}_member")
            member._normalization_adapted = True
            member.metadata = metadata
            members[view] = member
        return members

    def pool(self, probabilities: Sequence[np.ndarray]) -> np.ndarray:
        """The ensemble's probabilities (n, classes) from its members' (one (n, classes) array per view, in order).

        The saved network's own pooling layer, so a prediction made member by member is the network's.
        """
        pooling = self._require_model().get_layer("emotion")
        pooled = pooling([np.asarray(p, np.float32) for p in probabilities])
        return np.asarray(keras.ops.convert_to_numpy(pooled))

    def _uncompiled_copy(self) -> keras.Model:
        # The members' own layers wired afresh, sharing their weights: nothing to clone.
        networks = {view: member.model for view, member in self.members().items()}
        return _pooled_network(networks, list(self.weights.values()))

    def _build(self, input_shape: Any) -> keras.Model:
        raise ValueError(
            "an ensemble is made of trained members: AudioViewsEnsemble.of_members(...), or "
            "train_models.py --preset ensemble, which trains them"
        )

    def train(self, *args: Any, **kwargs: Any) -> keras.callbacks.History:
        """Not trained as one network: train the members, then :meth:`of_members` (``train_models.py --preset ensemble``)."""
        self._build(None)


class VideoEmotion3DCNNLSTM(EmotionModel):
    """Video model: frames (T, H, W, 3) → Conv3D ×3 → LSTM 128 → dense → softmax."""

    kind = "video"

    def _build(self, input_shape: Sequence[int]) -> keras.Model:
        input_shape = tuple(input_shape)
        if len(input_shape) != 4 or input_shape[-1] != 3:
            raise ValueError(f"video input shape must be (frames, height, width, 3), got {input_shape}")
        inputs = keras.Input(input_shape, name="frames")
        outputs = classifier_head(video_branch(inputs, self.dropout), self.num_emotions, self.dropout)
        return keras.Model(inputs, outputs, name="video_emotion_3dcnn_lstm")


class MultimodalEmotionFusion(EmotionModel):
    """Fusion model: the audio and video branches, concatenated, then a shared classifier.

    ``build_model((audio_shape, video_shape))``; inputs are ``[X_audio, X_video]``.
    """

    kind = "fusion"

    def _build(self, input_shape: Sequence[Sequence[int]]) -> keras.Model:
        if len(input_shape) != 2:
            raise ValueError("fusion input shape must be (audio_shape, video_shape)")
        audio_shape, video_shape = (tuple(s) for s in input_shape)
        audio_inputs = keras.Input(audio_shape, name="mfcc")
        video_inputs = keras.Input(video_shape, name="frames")
        joined = layers.Concatenate(name="fusion")(
            [audio_branch(audio_inputs, self.dropout), video_branch(video_inputs, self.dropout)]
        )
        outputs = classifier_head(joined, self.num_emotions, self.dropout, width=128)
        return keras.Model([audio_inputs, video_inputs], outputs, name="multimodal_emotion_fusion")


MODEL_CLASSES: dict[str, type[EmotionModel]] = {
    cls.__name__: cls
    for cls in (
        AudioEmotionCNNLSTM,
        AudioEmotionAttentionCNNLSTM,
        AudioEmotionMLP,
        AudioEmotionLogistic,
        VideoEmotion3DCNNLSTM,
        MultimodalEmotionFusion,
        AUEmotionLogistic,
        AUEmotionLSTM,
        AudioAUEmotionFusion,
        AudioAULateFusion,
        AudioViewsEnsemble,
    )
}

NORMALIZATION_INPUTS = {
    "mfcc_normalization": "mfcc",
    "functionals_normalization": "functionals",
    "au_normalization": "action_units",
}
"""The Normalization layers adapted to the training data, and the input each standardises."""


def _finalize_nested_state(network: keras.Model) -> None:
    """Let the layers of nested models compute their state from their loaded weights.

    Loading an ``.h5`` finalizes the top-level layers only: a ``Normalization`` inside a
    nested model (an ensemble's member) kept the statistics it was built with and
    predicted otherwise than before saving (tests/test_view_ensemble.py).
    """
    for layer in network.layers:
        if isinstance(layer, keras.Model):
            for inner in layer.layers:
                if hasattr(inner, "finalize_state"):  # an InputLayer has none
                    inner.finalize_state()
            _finalize_nested_state(layer)


def _without_optimizer(network: keras.Model) -> keras.Model:
    """An uncompiled copy of ``network`` with the same weights, for saving.

    The optimizer's state is never restored (:meth:`EmotionModel.load` compiles afresh),
    and saved, it made ``keras.models.load_model`` warn "Skipping variable loading for
    optimizer" and, for ``.h5``, that "the compiled metrics have yet to be built".
    """
    copy = keras.models.clone_model(network)
    copy.set_weights(network.get_weights())
    return copy


@contextlib.contextmanager
def _quiet_h5_notice() -> Iterator[None]:
    """Hold back Keras' notice that ``.h5`` is a legacy format: the seed's users load ``.h5`` files.

    Every model is saved as ``.keras`` beside it, so the notice would only repeat itself.
    """

    def keep(record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("You are saving your model as an HDF5 file")

    logger = logging.getLogger("absl")
    logger.addFilter(keep)
    try:
        yield
    finally:
        logger.removeFilter(keep)


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


def metadata_path_for(model_path: str | Path) -> Path:
    """``models/x.h5`` and ``models/x.keras`` share ``models/x.json``."""
    model_path = Path(model_path)
    return model_path.with_suffix(".json")


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
