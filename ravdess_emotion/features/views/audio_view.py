"""What every audio view shares: the audio-only files it reads, decoding, its cache key, speaker standardisation.

An audio view turns decoded samples (mono, at ``settings.sample_rate``) into features
(:meth:`AudioView.of_samples`); decoding, the speed perturbation of training copies
(``settings.playback_speed``) and the numba warm-up are the same for all of them.
``settings.audio_features`` names the audio view of the audio models
(:func:`audio_view`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ravdess_emotion.core.ravdess import VIDEO_EXTENSIONS
from ravdess_emotion.core.takes import audio_twin
from ravdess_emotion.features.audio import DECODED_AUDIO_EXTENSIONS, load_audio_samples
from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.speech_presence import (
    NoSpeechError,
    TooShortError,
    no_speech_reason,
    too_short_reason,
)
from ravdess_emotion.features.views.base import FeatureView, ViewItem, registered_views, view_named

AUDIO_KEY_FIELDS = ("sample_rate", "n_mfcc", "max_frames", "n_fft", "hop_length", "audio_features")
"""The settings in the cache key of the MFCC and functionals views (both, so caches written before views existed stay valid)."""


class AudioView(FeatureView):
    """A view of the audio-only files: features computed from decoded samples.

    Its cache key holds its ``settings_fields`` with ``audio_features`` set to its own
    name, the playback speed when it is not 1.0, and an empty ``twins`` list (part of
    the audio key since fusion had caches like it).
    """

    cache_prefix = "audio"
    side = "audio"
    file_description = "audio-only file"
    fallback_description = "the clip's soundtrack"
    extensions = DECODED_AUDIO_EXTENSIONS + VIDEO_EXTENSIONS
    reads_audio = True
    _warmed: ClassVar[set[tuple[str, int]]] = set()

    def select(self, rows: pd.DataFrame) -> pd.DataFrame:
        return rows[rows["content"] == "audio"].copy()

    def rate(self, settings: FeatureSettings) -> int:
        """The sample rate (Hz) this view decodes audio at: ``settings.sample_rate``, unless the view has its own."""
        return settings.sample_rate

    def of_samples(self, samples: np.ndarray, settings: FeatureSettings) -> np.ndarray:
        """The features of decoded audio: ``samples`` mono float32 at :meth:`rate`."""
        raise NotImplementedError

    def extract(self, path: Path, settings: FeatureSettings) -> np.ndarray:
        samples = load_audio_samples(path, self.rate(settings), settings.playback_speed)
        return self.of_samples(samples, settings)

    def read_for_prediction(
        self, path: Path, settings: FeatureSettings, check_speech: bool = True
    ) -> tuple[list[ViewItem], list[str]]:
        """The features of one file, once it is known to be long enough and (with ``check_speech``) to hold a voice.

        A view with a window (:meth:`window_seconds`) reads a longer recording as windows
        that overlap by half, the last one ending with the recording, so that nothing is
        cut: one item per window, each with its ``span``.

        Raises
        ------
        TooShortError
            When the recording lasts less than ``speech_presence.MIN_SPEECH_SECONDS``.
        NoSpeechError
            With ``check_speech``, when ``ravdess_emotion.features.speech_presence.no_speech_reason`` finds no voice.
        MediaError
            When the file cannot be decoded.
        """
        rate = self.rate(settings)
        samples = load_audio_samples(path, rate)
        if reason := too_short_reason(samples, rate):
            raise TooShortError(f"{path}: {reason}")
        if check_speech and (reason := no_speech_reason(samples, rate)):
            raise NoSpeechError(f"{path}: no speech detected: {reason}")
        duration = round(samples.size / rate, 3)
        window = self.window_seconds(settings)
        if window is None or samples.size <= round(window * rate):
            return [ViewItem(str(path), path, self.of_samples(samples, settings), None, duration)], []
        size = round(window * rate)
        starts = [*list(range(0, samples.size - size, size // 2)), samples.size - size]
        return [
            ViewItem(
                str(path),
                path,
                self.of_samples(samples[start : start + size], settings),
                (round(start / rate, 3), round((start + size) / rate, 3)),
                duration,
            )
            for start in starts
        ], []

    def source_of(self, path: Path, anchor: FeatureView) -> Path:
        """A video clip's audio-only twin beside it, when paired with a view of the clip that is not audio (frames)."""
        return path if isinstance(anchor, AudioView) else audio_twin(path)

    def key_settings(self, settings: FeatureSettings) -> dict[str, Any]:
        return {**super().key_settings(settings), "audio_features": self.name}

    def cache_key_fields(self, settings: FeatureSettings) -> dict[str, Any]:
        relevant = self.key_settings(settings)
        if settings.playback_speed != 1.0:
            # Only when it changes something: caches written before the setting existed stay valid.
            relevant["playback_speed"] = settings.playback_speed
        return {"settings": relevant, "twins": []}

    def speaker_normalization(self, settings: FeatureSettings) -> str:
        return "zscore" if settings.speaker_norm else "none"

    def warm_up(self, settings: FeatureSettings) -> None:
        """Run :meth:`of_samples` once, in this process, on a second of a synthetic tone.

        librosa compiles numba functions on first use and caches them on disk. Two worker
        processes compiling the same function at once on a cold cache can leave that cache
        corrupt, after which ``librosa.yin`` crashes in every process (numba issue 10128).
        Called before extraction workers start, this compiles and caches everything they
        run, so the workers only ever read the cache. Runs once per process, view and rate.
        """
        rate = self.rate(settings)
        if (self.name, rate) in self._warmed:
            return
        t = np.arange(rate, dtype=np.float32) / rate
        tone = 0.3 * np.sin(2 * np.pi * (150 + 50 * t) * t) + 0.01 * np.cos(2 * np.pi * 3000 * t)
        self.of_samples(tone.astype(np.float32), settings)
        self._warmed.add((self.name, rate))


def audio_view_names() -> list[str]:
    """The names of the registered audio views, in the order they were registered."""
    return [name for name, view in registered_views().items() if isinstance(view, AudioView)]


def audio_view(settings: FeatureSettings) -> AudioView:
    """The audio view ``settings.audio_features`` names.

    Raises
    ------
    ValueError
        When no registered audio view has that name; the message lists those that do.
    """
    view = registered_views().get(settings.audio_features)
    if not isinstance(view, AudioView):
        raise ValueError(
            f"audio_features must be one of {', '.join(audio_view_names())}; got {settings.audio_features!r}"
        )
    return view


def extract_audio_features(path: str | Path, settings: FeatureSettings) -> np.ndarray:
    """The audio features ``settings.audio_features`` names, of one file (WAV, FLAC, or an MP4's soundtrack).

    Returns
    -------
    np.ndarray, shape ``audio_view(settings).shape(settings)``, float32
    """
    return audio_view(settings).extract(Path(path), settings)


def compile_audio_code(settings: FeatureSettings) -> None:
    """Warm up (:meth:`AudioView.warm_up`) the audio view of ``settings`` and the MFCC view, which fusion reads."""
    audio_view(settings).warm_up(settings)
    view_named("mfcc").warm_up(settings)
