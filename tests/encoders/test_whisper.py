"""Whisper's front end and encoder in Keras, checked against Whisper's definition and CTranslate2 (``encoders.whisper``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import librosa
import numpy as np
import pytest

from ravdess_emotion.encoders.checkpoints import checkpoint_dir
from ravdess_emotion.encoders.whisper import log_mel_spectrogram, pooled_size
from ravdess_emotion.features.audio import load_audio_samples


def whisper_log_mel(samples: np.ndarray, n_mels: int = 80) -> np.ndarray:
    """Whisper's own definition (openai/whisper ``audio.py``), with librosa's STFT and mel filters."""
    stft = librosa.stft(samples, n_fft=400, hop_length=160, window="hann", center=True, pad_mode="reflect")
    power = np.abs(stft[:, :-1]) ** 2
    mel = librosa.filters.mel(sr=16000, n_fft=400, n_mels=n_mels) @ power
    log_spec = np.log10(np.maximum(mel, 1e-10))
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
    return (log_spec + 4.0) / 4.0


def test_the_log_mel_front_end_is_whispers(ravdess_audio: Path) -> None:
    samples = load_audio_samples(ravdess_audio / "Actor_01" / "03-01-05-01-01-01-01.flac", 16000)
    ours = log_mel_spectrogram(samples)
    assert ours.shape == (80, len(samples) // 160)
    np.testing.assert_allclose(ours, whisper_log_mel(samples), atol=1e-5)
    padded = log_mel_spectrogram(samples, window_seconds=30)
    assert padded.shape == (80, 3000)
    np.testing.assert_allclose(
        padded, whisper_log_mel(np.pad(samples, (0, 480000 - len(samples)))), atol=1e-5
    )


@pytest.mark.slow
def test_the_keras_encoder_gives_ctranslate2s_hidden_state(ravdess_audio: Path) -> None:
    if importlib.util.find_spec("ctranslate2") is None:
        pytest.skip("ctranslate2 is not installed (requirements.txt installs it, for this test)")
    import ctranslate2

    from ravdess_emotion.encoders.whisper_network import encoder_named

    folder = checkpoint_dir("whisper-base")
    samples = load_audio_samples(ravdess_audio / "Actor_01" / "03-01-03-02-02-01-01.flac", 16000)
    mel = log_mel_spectrogram(samples, window_seconds=30)
    reference = ctranslate2.models.Whisper(str(folder), device="cpu", compute_type="float32")
    expected = np.asarray(reference.encode(ctranslate2.StorageView.from_array(mel[None]), to_cpu=True))[0]
    encoder = encoder_named("whisper-base")
    states = encoder.hidden_states(samples, window_seconds=30)
    assert len(states) == 7 and all(
        state.shape == (len(samples) // 160 // 2 + 1, 512) or state.shape[1] == 512 for state in states
    )
    valid = len(states[-1])
    assert np.abs(states[-1] - expected[:valid]).max() < 3e-3  # float32 through six blocks; values reach ~25
    pooled = encoder.pooled(samples)
    assert pooled.shape == (pooled_size(folder),) == (7168,) and np.isfinite(pooled).all()
