"""Whether a recording holds a voice at all, so that silence, a tone or noise gets no emotion.

A model trained on speech gives every input a confident-looking answer; a 440 Hz tone
would be "calm, 0.99". ``predict.py`` therefore checks each audio input first, cheaply:

- **silence**: no sample reaches ``SILENCE_PEAK`` (-60 dBFS);
- **steady sound** (a tone, a hum, noise): a voice keeps changing the shape of its
  spectrum as it moves between vowels, consonants and notes, while a tone or a noise
  keeps one shape. Each loud 100 ms block's shape (its mel-band levels, after removing
  the block's overall level) is compared with the recording's typical shape (the median
  over its loud blocks); when three quarters of the blocks stay within
  ``STEADY_VARIATION_DB`` of it, the sound is steady.

``python -m benchmarks.speech_presence`` measures the check (the README gives its table): on
every real RAVDESS recording of actors 01-20 and on the demo's voices it calls nothing
"no speech", and it calls every tone, noise and hum it is given "no speech". The check
looks at the spectrum, not at pitch, because a pitch tracker loses shouted and breathy
emotional speech (a strong "surprised" take of actor 03 has almost no frame that pYIN
calls voiced).
"""

from __future__ import annotations

import librosa
import numpy as np

from ravdess_emotion.core.errors import MediaError

SILENCE_PEAK = 1e-3
"""Peak sample magnitude (of full scale 1.0) below which a recording is silence: -60 dBFS."""
STEADY_VARIATION_DB = 1.0
"""Spectral-shape variation (dB per mel band) below which a sound is steady: a tone, a hum or noise."""
ANALYSIS_RATE = 16000
BLOCK_SECONDS = 0.1
LOUD_RANGE_DB = 25.0  # blocks this far below the loudest are pauses, not the sound being judged
N_BANDS = 24  # wide enough bands that noise power averages out within each block
QUANTILE = 75  # a voice varies in most of its blocks; onsets and offsets of a tone in few of them


MIN_SPEECH_SECONDS = 0.5
"""The shortest recording given an emotion: five of the check's 100 ms blocks; every RAVDESS sentence lasts over 1 s."""


class NoSpeechError(MediaError):
    """An audio input that holds no voice (silence, a tone, noise): no emotion is predicted for it."""


class TooShortError(MediaError):
    """An audio input shorter than ``MIN_SPEECH_SECONDS``: too short to hold an emotion or to judge whether it holds a voice."""


def too_short_reason(samples: np.ndarray, sample_rate: int) -> str | None:
    """``"too short: 0.2 s, ..."`` when ``samples`` last less than ``MIN_SPEECH_SECONDS``, else None."""
    seconds = samples.size / sample_rate
    if seconds >= MIN_SPEECH_SECONDS:
        return None
    return f"too short: {seconds:.1f} s, at least {MIN_SPEECH_SECONDS:g} s of speech needed"


def spectral_variation_db(samples: np.ndarray, sample_rate: int) -> float:
    """How far the spectral shape of the loud 100 ms blocks strays from the recording's typical shape.

    Parameters
    ----------
    samples : np.ndarray, shape (n_samples,)
        Mono audio in [-1, 1].
    sample_rate : int
        Hz.

    Returns
    -------
    float
        The 75th percentile over loud blocks of the mean absolute difference, in dB per
        mel band, between a block's level-free shape and the median shape; 0 for a
        recording with fewer than three loud blocks.
    """
    if sample_rate != ANALYSIS_RATE:
        samples = librosa.resample(y=samples, orig_sr=sample_rate, target_sr=ANALYSIS_RATE)
    hop = ANALYSIS_RATE // 100
    power = np.abs(librosa.stft(samples, n_fft=512, hop_length=hop)) ** 2
    mel = librosa.feature.melspectrogram(S=power, sr=ANALYSIS_RATE, n_mels=N_BANDS, fmin=60.0, fmax=7600.0)
    frames_per_block = round(BLOCK_SECONDS * 100)
    n_blocks = mel.shape[1] // frames_per_block
    blocks = mel[:, : n_blocks * frames_per_block].reshape(N_BANDS, n_blocks, frames_per_block).mean(axis=2)
    level_db = 10 * np.log10(blocks.sum(axis=0) + 1e-12)
    loud = level_db > level_db.max() - LOUD_RANGE_DB if n_blocks else np.zeros(0, dtype=bool)
    if loud.sum() < 3:
        return 0.0
    band_db = 10 * np.log10(blocks[:, loud] + 1e-12)
    shape = band_db - band_db.mean(axis=0, keepdims=True)
    typical = np.median(shape, axis=1, keepdims=True)
    return float(np.percentile(np.abs(shape - typical).mean(axis=0), QUANTILE))


def no_speech_reason(samples: np.ndarray, sample_rate: int) -> str | None:
    """Why ``samples`` hold no voice ("silence", "a steady sound ..."), or None when they may.

    Parameters
    ----------
    samples : np.ndarray, shape (n_samples,)
        Mono audio in [-1, 1].
    sample_rate : int
        Hz.
    """
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if peak < SILENCE_PEAK:
        return f"silence (peak {20 * np.log10(max(peak, 1e-10)):.0f} dBFS)"
    variation = spectral_variation_db(samples, sample_rate)
    if variation < STEADY_VARIATION_DB:
        return (
            f"a steady sound such as a tone, a hum or noise (its spectral shape varies by {variation:.1f} dB; "
            f"a voice's by {STEADY_VARIATION_DB:g} dB or more)"
        )
    return None
