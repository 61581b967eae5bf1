"""Utterance functionals, per-speaker normalization, and playback-speed loading for the best audio recipe."""

from pathlib import Path

import numpy as np
import pytest

from ravdess_emotion.features.audio import load_audio_samples
from ravdess_emotion.features.functionals import (
    contour_names,
    feature_names,
    functionals,
    n_features,
    utterance_contours,
)


def _tone(seconds: float, pitch: float, rate: int = 16000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    voice = sum(np.sin(2 * np.pi * pitch * k * t) / k for k in range(1, 6))
    envelope = np.clip(np.minimum(t, t[-1] - t) * 8, 0, 1)  # fades in and out, like a word
    return (0.3 * voice * envelope).astype(np.float32)


# --------------------------------------------------------------------------- functionals


def test_functionals_have_one_named_value_each() -> None:
    contours = utterance_contours(_tone(1.5, 180.0), 16000, n_fft=1024, hop_length=160)
    assert contours.shape[0] == len(contour_names())
    vector = functionals(contours)
    assert vector.shape == (n_features(),) == (len(feature_names()),)
    assert np.isfinite(vector).all()
    names = feature_names()
    # The pitch contour follows the tone: its median is log(180 Hz), within YIN's error.
    assert vector[names.index("log_f0_p50")] == pytest.approx(np.log(180.0), abs=0.05)


def test_higher_voice_has_higher_pitch_statistics() -> None:
    low, high = (
        functionals(utterance_contours(_tone(1.0, pitch, 16000), 16000, 1024, 160))
        for pitch in (120.0, 240.0)
    )
    index = feature_names().index("log_f0_mean")
    assert high[index] - low[index] == pytest.approx(np.log(2), abs=0.1)


@pytest.mark.parametrize(
    "samples", [np.zeros(0), np.full(100, 1e-4), np.zeros(16000)], ids=["empty", "click", "silence"]
)
def test_tiny_or_silent_input_gives_finite_functionals(samples: np.ndarray) -> None:
    samples = samples.astype(np.float32)
    if samples.size == 0:
        samples = np.zeros(1, np.float32)
    vector = functionals(utterance_contours(samples, 16000, 1024, 160))
    assert vector.shape == (n_features(),) and np.isfinite(vector).all()


def test_playback_speed_scales_duration_and_pitch(tmp_path: Path) -> None:
    import soundfile

    path = tmp_path / "tone.wav"
    soundfile.write(path, _tone(1.0, 200.0, rate=48000), 48000)
    for speed in (0.8, 1.0, 1.25):
        samples = load_audio_samples(path, 16000, playback_speed=speed)
        assert samples.size == pytest.approx(16000 / speed, abs=2)
        spectrum = np.abs(np.fft.rfft(samples))
        peak_hz = np.argmax(spectrum) * 16000 / samples.size
        assert peak_hz == pytest.approx(200.0 * speed, rel=0.02)
