"""Whisper's encoder as a Keras network built from a CTranslate2 checkpoint, and the pooled statistics of its hidden states."""

from __future__ import annotations

import functools
from pathlib import Path

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import keras
import numpy as np
from keras import layers

from ravdess_emotion.encoders.checkpoints import checkpoint_dir
from ravdess_emotion.encoders.ctranslate2 import read_variables
from ravdess_emotion.encoders.whisper import (
    HOP_LENGTH,
    LAYER_NORM_EPSILON,
    encoder_sizes,
    log_mel_spectrogram,
)


def build_encoder(weights: dict[str, np.ndarray], prefix: str = "encoder") -> keras.Model:
    """The Whisper encoder as a functional model with the checkpoint's weights.

    Inputs: the log-mel spectrogram, (batch, frames, n_mels) (time first), and the
    position encodings of its output frames, (batch, ceil(frames / 2), d_model) (a slice
    of the checkpoint's table, so that any length up to 3,000 frames runs). Outputs:
    ``n_layers + 1`` hidden states, each (batch, ceil(frames / 2), d_model).
    GELU is the exact one, the layer norms' epsilon 1e-5, and the second convolution pads
    one frame on each side as PyTorch's ``padding=1`` does. Whisper's key projection has
    no bias: Keras' is set to zero (its gradient is zero too, the softmax cancelling it).
    """
    sizes = encoder_sizes({name: array.shape for name, array in weights.items()}, prefix)
    d, heads = sizes["d_model"], int(weights[f"{prefix}/num_heads"])
    head_dim = d // heads

    def w(name: str) -> np.ndarray:
        return weights[f"{prefix}/{name}"]

    mel = keras.Input((None, sizes["n_mels"]), name="log_mel")
    positions = keras.Input((None, d), name="positions")
    conv1 = layers.Conv1D(d, 3, padding="same", activation="gelu", name="conv1")
    conv2 = layers.Conv1D(d, 3, strides=2, padding="valid", activation="gelu", name="conv2")
    x = conv2(layers.ZeroPadding1D(1, name="conv2_padding")(conv1(mel)))
    x = layers.Add(name="embedding")([x, positions])
    states, blocks = [x], []
    for i in range(sizes["n_layers"]):
        norm1 = layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON, name=f"block{i}_attention_norm")
        attention = layers.MultiHeadAttention(heads, head_dim, name=f"block{i}_attention")
        norm2 = layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON, name=f"block{i}_mlp_norm")
        up = layers.Dense(sizes["ffn"], activation="gelu", name=f"block{i}_mlp_up")
        down = layers.Dense(d, name=f"block{i}_mlp_down")
        h = norm1(x)
        x = layers.Add(name=f"block{i}_attention_residual")([x, attention(h, h)])
        x = layers.Add(name=f"block{i}_mlp_residual")([x, down(up(norm2(x)))])
        states.append(x)
        blocks.append((i, norm1, attention, norm2, up, down))
    final_norm = layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON, name="final_norm")
    states[-1] = final_norm(states[-1])
    model = keras.Model([mel, positions], states, name="whisper_encoder")

    def kernel(name: str) -> np.ndarray:
        return np.transpose(w(name), (2, 1, 0))  # (out, in, width) -> (width, in, out)

    conv1.set_weights([kernel("conv1/weight"), w("conv1/bias")])
    conv2.set_weights([kernel("conv2/weight"), w("conv2/bias")])
    final_norm.set_weights([w("layer_norm/gamma"), w("layer_norm/beta")])
    for i, norm1, attention, norm2, up, down in blocks:
        scope = f"layer_{i}/self_attention"
        qkv, qkv_bias = w(f"{scope}/linear_0/weight"), w(f"{scope}/linear_0/bias")  # q, k, v rows

        def per_head(matrix: np.ndarray) -> np.ndarray:
            return matrix.T.reshape(d, heads, head_dim)

        attention.set_weights(
            [
                per_head(qkv[:d]),
                qkv_bias[:d].reshape(heads, head_dim),
                per_head(qkv[d : 2 * d]),
                qkv_bias[d : 2 * d].reshape(heads, head_dim),
                per_head(qkv[2 * d :]),
                qkv_bias[2 * d :].reshape(heads, head_dim),
                w(f"{scope}/linear_1/weight").T.reshape(heads, head_dim, d),
                w(f"{scope}/linear_1/bias"),
            ]
        )
        norm1.set_weights([w(f"{scope}/layer_norm/gamma"), w(f"{scope}/layer_norm/beta")])
        ffn = f"layer_{i}/ffn"
        norm2.set_weights([w(f"{ffn}/layer_norm/gamma"), w(f"{ffn}/layer_norm/beta")])
        up.set_weights([w(f"{ffn}/linear_0/weight").T, w(f"{ffn}/linear_0/bias")])
        down.set_weights([w(f"{ffn}/linear_1/weight").T, w(f"{ffn}/linear_1/bias")])
    return model


class WhisperEncoder:
    """A checkpoint's encoder, built once, and the pooled statistics of every hidden state of a recording.

    Parameters
    ----------
    folder : path
        A CTranslate2 Whisper checkpoint (``model.bin``).
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        _, weights = read_variables(self.folder / "model.bin", prefix="encoder/")
        self.sizes = encoder_sizes({name: array.shape for name, array in weights.items()})
        self.positions = weights["encoder/position_encodings/encodings"]
        self.network = build_encoder(weights)

    def hidden_states(self, samples: np.ndarray, window_seconds: float = 0.0) -> list[np.ndarray]:
        """Every hidden state of one recording over its own frames: ``n_layers + 1`` arrays (frames, d_model).

        With ``window_seconds`` the audio is padded to that window first (Whisper's own
        inputs are padded to 30 s), and only the recording's frames are returned.
        """
        mel = log_mel_spectrogram(samples, self.sizes["n_mels"], window_seconds)
        if mel.shape[1] > 2 * self.sizes["positions"]:
            mel = mel[:, : 2 * self.sizes["positions"]]  # longer than 30 s: the encoder's first 30 s
        steps = (mel.shape[1] + 1) // 2
        states = self.network.predict_on_batch([mel.T[None], self.positions[None, :steps]])
        valid = min(steps, max(1, (min(len(samples), mel.shape[1] * HOP_LENGTH) // HOP_LENGTH + 1) // 2))
        return [np.asarray(state)[0, :valid] for state in states]

    def pooled(self, samples: np.ndarray, window_seconds: float = 0.0) -> np.ndarray:
        """The mean and standard deviation over time of every hidden state, concatenated layer by layer.

        Returns
        -------
        np.ndarray, shape ((n_layers + 1) * 2 * d_model,), float32
        """
        states = self.hidden_states(samples, window_seconds)
        return np.concatenate([np.concatenate([s.mean(axis=0), s.std(axis=0)]) for s in states]).astype(
            np.float32
        )


@functools.lru_cache(maxsize=2)
def encoder_named(name: str) -> WhisperEncoder:
    """The encoder of checkpoint ``name`` (``encoders.checkpoints.checkpoint_dir``), built once per process."""
    return WhisperEncoder(checkpoint_dir(name))
