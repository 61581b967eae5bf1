"""The networks, as keras-io style builders: input shapes and settings in, a functional ``keras.Model`` out.

Each builder checks its input shapes and returns an uncompiled model whose output is a
float32 softmax over the emotions named ``emotion`` (a ``Dense`` layer), so that late
fusion can read its logits (``ravdess_emotion.models.fusion``). The branches are shared
by the fusion networks. Model classes (``ravdess_emotion.models.audio`` and its
siblings) call these with their hyperparameters.
"""

from __future__ import annotations

from collections.abc import Sequence

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import keras
from keras import layers

from ravdess_emotion.models.hyperparameters import Hyperparameters
from ravdess_emotion.models.layers import AttentionPooling1D, SpecAugment

# --------------------------------------------------------------------------- inputs and branches


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


def logistic_output(x: keras.KerasTensor, num_emotions: int, l2_penalty: float) -> keras.KerasTensor:
    """Softmax over emotions with an L2 penalty on the weights: multinomial logistic regression."""
    return layers.Dense(
        num_emotions,
        activation="softmax",
        kernel_regularizer=keras.regularizers.L2(l2_penalty),
        dtype="float32",
        name="emotion",
    )(x)


def functionals_input(input_shape: Sequence[int]) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """The input of a model on one vector per recording (utterance functionals), and that input standardised.

    The standardisation's statistics are learned from the training data (``adapt``).
    """
    input_shape = tuple(input_shape)
    if len(input_shape) != 1:
        raise ValueError(f"functionals input shape must be (n_features,), got {input_shape}")
    inputs = keras.Input(input_shape, name="functionals")
    return inputs, layers.Normalization(name="functionals_normalization")(inputs)


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


# --------------------------------------------------------------------------- networks


def cnn_lstm(
    input_shape: Sequence[int], num_emotions: int, dropout: float, hp: Hyperparameters, name: str
) -> keras.Model:
    """MFCC (n_mfcc, frames) → Conv2D ×2 → LSTM 128 → LSTM 64 → dense → softmax (:func:`audio_branch`)."""
    input_shape = tuple(input_shape)
    if len(input_shape) != 2:
        raise ValueError(f"audio input shape must be (n_mfcc, frames), got {input_shape}")
    inputs = keras.Input(input_shape, name="mfcc")
    features = audio_branch(inputs, dropout, spec_augment=hp.spec_augment, attention=hp.attention)
    return keras.Model(inputs, classifier_head(features, num_emotions, dropout), name=name)


def mlp(input_shape: Sequence[int], num_emotions: int, dropout: float, hp: Hyperparameters) -> keras.Model:
    """One vector per recording: standardise → dropout → dense ``hidden_units`` → dropout → softmax."""
    inputs, x = functionals_input(input_shape)
    # Dropping input features: 1,456 correlated statistics from ~1,000 files overfit otherwise.
    x = layers.Dropout(dropout, name="feature_dropout")(x)
    x = layers.Dense(hp.hidden_units, activation="relu")(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(num_emotions, activation="softmax", dtype="float32", name="emotion")(x)
    return keras.Model(inputs, outputs, name="audio_emotion_mlp")


def logistic(input_shape: Sequence[int], num_emotions: int, hp: Hyperparameters, name: str) -> keras.Model:
    """One vector per recording: standardise → softmax with an L2 penalty (multinomial logistic regression)."""
    inputs, x = functionals_input(input_shape)
    return keras.Model(inputs, logistic_output(x, num_emotions, hp.l2_penalty), name=name)


def layer_weighting(input_shape: Sequence[int], num_emotions: int, dropout: float, hp: Hyperparameters) -> keras.Model:
    """Pooled hidden states of a pretrained encoder: standardise → a learned weighting of its layers → softmax.

    The input is one vector per recording holding ``hp.encoder_layers`` equal blocks (the
    pooled statistics of each layer, ``ravdess_emotion.features.views.whisper``). Each
    feature of the blocks is mixed over the layers by learned weights (one per layer,
    shared by every feature), then classified by a softmax with an L2 penalty: logistic
    regression on one learned mixture of the layers instead of on all of them.
    """
    inputs, x = functionals_input(input_shape)
    width = int(input_shape[0]) // hp.encoder_layers
    if width * hp.encoder_layers != int(input_shape[0]):
        raise ValueError(f"{input_shape[0]} features are not {hp.encoder_layers} equal layer blocks")
    x = layers.Reshape((hp.encoder_layers, width), name="layer_blocks")(x)
    x = layers.Permute((2, 1), name="features_by_layer")(x)
    mixed = layers.Dense(
        1, use_bias=False, kernel_initializer=keras.initializers.Constant(1.0 / hp.encoder_layers), name="layer_weights"
    )(x)
    x = layers.Reshape((width,), name="layer_mixture")(mixed)
    x = layers.Dropout(dropout, name="feature_dropout")(x)
    return keras.Model(inputs, logistic_output(x, num_emotions, hp.l2_penalty), name="audio_emotion_layer_weighting")


def video_3dcnn_lstm(input_shape: Sequence[int], num_emotions: int, dropout: float) -> keras.Model:
    """Frames (T, H, W, 3) → Conv3D ×3 → LSTM 128 → dense → softmax (:func:`video_branch`)."""
    input_shape = tuple(input_shape)
    if len(input_shape) != 4 or input_shape[-1] != 3:
        raise ValueError(f"video input shape must be (frames, height, width, 3), got {input_shape}")
    inputs = keras.Input(input_shape, name="frames")
    outputs = classifier_head(video_branch(inputs, dropout), num_emotions, dropout)
    return keras.Model(inputs, outputs, name="video_emotion_3dcnn_lstm")


def audio_video_fusion(
    input_shape: Sequence[Sequence[int]], num_emotions: int, dropout: float
) -> keras.Model:
    """MFCC and frames of a take: the audio and video branches, concatenated, under a shared classifier."""
    if len(input_shape) != 2:
        raise ValueError("fusion input shape must be (audio_shape, video_shape)")
    audio_shape, video_shape = (tuple(s) for s in input_shape)
    audio_inputs = keras.Input(audio_shape, name="mfcc")
    video_inputs = keras.Input(video_shape, name="frames")
    joined = layers.Concatenate(name="fusion")(
        [audio_branch(audio_inputs, dropout), video_branch(video_inputs, dropout)]
    )
    outputs = classifier_head(joined, num_emotions, dropout, width=128)
    return keras.Model([audio_inputs, video_inputs], outputs, name="multimodal_emotion_fusion")


def au_logistic(input_shape: Sequence[int], num_emotions: int, hp: Hyperparameters) -> keras.Model:
    """Clip AU vectors: standardise → softmax with an L2 penalty."""
    if len(tuple(input_shape)) != 1:
        raise ValueError(f"AUEmotionLogistic reads clip vectors (n_features,), got {tuple(input_shape)}")
    inputs, x = action_units_input(input_shape)
    return keras.Model(inputs, logistic_output(x, num_emotions, hp.l2_penalty), name="au_emotion_logistic")


def au_lstm(input_shape: Sequence[int], num_emotions: int, dropout: float) -> keras.Model:
    """AU frames (frames, 35) → LSTM 64 → mean over time → dense → softmax: the seed's LSTM on action units."""
    if len(tuple(input_shape)) != 2:
        raise ValueError(f"AUEmotionLSTM reads AU sequences (frames, units), got {tuple(input_shape)}")
    inputs, x = action_units_input(input_shape)
    x = au_sequence_branch(x, dropout)
    return keras.Model(inputs, classifier_head(x, num_emotions, dropout), name="au_emotion_lstm")


def audio_au_fusion(
    input_shape: Sequence[Sequence[int]], num_emotions: int, dropout: float, hp: Hyperparameters
) -> keras.Model:
    """Audio and action units of a take in one network (early fusion).

    On two vectors (functionals and clip AUs) both are standardised, joined and
    classified by one penalised softmax (``audio_au_emotion_logistic``). Otherwise the
    audio CNN-LSTM branch (or the standardised functionals) and the AU LSTM branch (or
    the clip vector) are joined under a shared dense classifier.
    """
    if len(input_shape) != 2:
        raise ValueError("audio+AU fusion input shape must be (audio_shape, au_shape)")
    audio_shape, au_shape = (tuple(s) for s in input_shape)
    au_inputs, au = action_units_input(au_shape)
    if len(audio_shape) == 1 and len(au_shape) == 1:
        audio_inputs, audio = functionals_input(audio_shape)
        joined = layers.Concatenate(name="fusion")([audio, au])
        outputs = logistic_output(joined, num_emotions, hp.l2_penalty)
        return keras.Model([audio_inputs, au_inputs], outputs, name="audio_au_emotion_logistic")
    if len(audio_shape) == 1:
        audio_inputs, audio = functionals_input(audio_shape)
    else:
        audio_inputs = keras.Input(audio_shape, name="mfcc")
        audio = audio_branch(audio_inputs, dropout)
    au = au_sequence_branch(au, dropout) if len(au_shape) == 2 else au
    joined = layers.Concatenate(name="fusion")([audio, au])
    outputs = classifier_head(joined, num_emotions, dropout, width=128)
    return keras.Model([audio_inputs, au_inputs], outputs, name="audio_au_emotion_fusion")
