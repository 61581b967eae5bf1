"""Whisper's front end and sizes: the log-mel spectrogram it reads, and the shape of what its encoder returns.

Whisper (Radford et al. 2022) encodes 16 kHz speech as a log-mel spectrogram (80 bands,
10 ms frames), two convolutions (the second halving time) plus sinusoidal positions,
and pre-norm transformer blocks. Its middle layers carry much of a voice's emotion, so
:class:`WhisperEncoder` returns every hidden state: the embedding after the
convolutions, then each block's output (the last with the final layer norm, which is
what CTranslate2's ``encode`` returns). The network is built from the checkpoint's own
tensors (sizes included), so the small and larger models of the same format load too;
it uses built-in Keras layers only, so it runs on every backend and can be fine-tuned
(``ravdess_emotion.encoders.whisper_network``). This module needs NumPy only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ravdess_emotion.encoders.ctranslate2 import variable_shapes

SAMPLE_RATE = 16000
N_FFT = 400  # 25 ms
HOP_LENGTH = 160  # 10 ms
LAYER_NORM_EPSILON = 1e-5
MAX_WINDOW_SECONDS = 30.0  # the encoder's 1,500 positions: 3,000 frames


def mel_filters(n_mels: int = 80) -> np.ndarray:
    """Whisper's mel filterbank: Slaney-style, area-normalised, (n_mels, N_FFT // 2 + 1), as ``librosa.filters.mel``."""

    def hz_to_mel(f: np.ndarray) -> np.ndarray:
        f = np.asarray(f, dtype=np.float64)
        return np.where(
            f >= 1000.0, 15.0 + np.log(np.maximum(f, 1e-12) / 1000.0) / (np.log(6.4) / 27.0), f / (200 / 3)
        )

    def mel_to_hz(m: np.ndarray) -> np.ndarray:
        m = np.asarray(m, dtype=np.float64)
        return np.where(m >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), m * (200 / 3))

    frequencies = np.fft.rfftfreq(N_FFT, 1.0 / SAMPLE_RATE)
    edges = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(SAMPLE_RATE / 2), n_mels + 2))
    ramps = edges[:, None] - frequencies[None, :]
    rising = -ramps[:-2] / np.diff(edges)[:-1, None]
    falling = ramps[2:] / np.diff(edges)[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges[2 : n_mels + 2] - edges[:n_mels]))[:, None]
    return weights.astype(np.float32)


def log_mel_spectrogram(samples: np.ndarray, n_mels: int = 80, window_seconds: float = 0.0) -> np.ndarray:
    """Whisper's log-mel spectrogram of 16 kHz audio, as ``whisper.audio.log_mel_spectrogram`` computes it.

    A centred STFT (Hann window of 400 samples, hop 160, the last frame dropped), the
    mel filterbank, ``log10`` floored at 1e-10, the dynamic range clamped to 8 and
    scaled ``(x + 4) / 4``.

    Parameters
    ----------
    samples : np.ndarray, shape (n,)
        Mono audio at 16 kHz in [-1, 1].
    window_seconds : float
        Above 0, the audio is first zero-padded (or cut) to this many seconds, as
        Whisper pads every input to 30 s; the clamp then sees the padding too.

    Returns
    -------
    np.ndarray, shape (n_mels, frames), float32
        One frame per 10 ms: ``n // 160`` frames, or ``window_seconds * 100``.
    """
    x = np.asarray(samples, dtype=np.float32)
    if window_seconds > 0:
        length = round(window_seconds * SAMPLE_RATE)
        x = np.pad(x[:length], (0, max(0, length - len(x))))
    if len(x) <= N_FFT // 2:
        x = np.pad(x, (0, N_FFT // 2 + 1 - len(x)))  # reflect padding needs more than half a window
    x = np.pad(x, (N_FFT // 2, N_FFT // 2), mode="reflect")
    count = 1 + (len(x) - N_FFT) // HOP_LENGTH
    frames = np.lib.stride_tricks.as_strided(x, (count, N_FFT), (HOP_LENGTH * x.strides[0], x.strides[0]))
    window = np.hanning(N_FFT + 1)[:-1].astype(np.float32)  # periodic
    spectrum = np.fft.rfft(frames * window, axis=-1)[:-1]
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    log_spec = np.log10(np.maximum(mel_filters(n_mels) @ power.T, 1e-10))
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
    return ((log_spec + 4.0) / 4.0).astype(np.float32)


def encoder_sizes(shapes: dict[str, tuple[int, ...]], prefix: str = "encoder") -> dict[str, int]:
    """The encoder's sizes from its tensors' shapes: ``n_mels``, ``d_model``, ``n_layers``, ``ffn``, ``positions``."""
    conv1 = shapes[f"{prefix}/conv1/weight"]  # (d_model, n_mels, 3)
    n_layers = 0
    while f"{prefix}/layer_{n_layers}/ffn/linear_0/weight" in shapes:
        n_layers += 1
    return {
        "n_mels": conv1[1],
        "d_model": conv1[0],
        "n_layers": n_layers,
        "ffn": shapes[f"{prefix}/layer_0/ffn/linear_0/weight"][0],
        "positions": shapes[f"{prefix}/position_encodings/encodings"][0],
    }


def pooled_size(folder: str | Path) -> int:
    """The length of ``WhisperEncoder.pooled`` for a checkpoint, from its tensors' shapes (the weights unread)."""
    sizes = encoder_sizes(variable_shapes(Path(folder) / "model.bin"))
    return (sizes["n_layers"] + 1) * 2 * sizes["d_model"]
