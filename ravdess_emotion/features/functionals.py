"""Utterance functionals: one vector of statistics per recording.

The ``--preset best`` audio models read these instead of an MFCC image. For each file:

1. silence at the start and end is trimmed (it says nothing about the emotion);
2. frame-level contours are computed on 25 ms windows (``settings.hop_length`` apart):
   40 MFCCs with their deltas and delta-deltas, 64 log-mel bands, and the prosodic and
   spectral contours pitch (log F0, YIN), loudness (log RMS), spectral centroid,
   flatness, zero-crossing rate and 7 spectral-contrast bands, with their deltas;
3. every contour is summarised by seven statistics over time: mean, standard
   deviation, 10th, 50th and 90th percentile, skewness and range.

Standardised within each speaker (``ravdess_emotion.features.speakers``), using only
that speaker's own recordings and no labels, they lose much of what makes one voice
differ from another (pitch range, timbre, recording level), which is most of what
separates actors that a model has never heard.
"""

from __future__ import annotations

import warnings

import librosa
import numpy as np
import scipy.stats

N_MFCC = 40
N_MELS = 64
N_CONTRAST_BANDS = 6  # librosa gives one more row: the band above the last
PITCH_RANGE_HZ = (60.0, 800.0)  # speaking and singing voices, men and women
PITCH_FRAME = 1024  # YIN needs two periods of the lowest pitch in a frame: 2 / 60 Hz < 1024 / 16 kHz
TRIM_TOP_DB = 40.0
WINDOW_SECONDS = 0.025
STATISTICS = ("mean", "std", "p10", "p50", "p90", "skew", "range")


def contour_names() -> list[str]:
    """The name of every frame-level contour, in the row order of :func:`utterance_contours`."""
    mfcc = [f"mfcc{i}" for i in range(N_MFCC)]
    prosodic = ["log_f0", "log_rms", "centroid_khz", "flatness", "zcr"]
    prosodic += [f"contrast{i}" for i in range(N_CONTRAST_BANDS + 1)]
    return [
        *mfcc,
        *(f"d_{n}" for n in mfcc),
        *(f"dd_{n}" for n in mfcc),
        *(f"log_mel{i}" for i in range(N_MELS)),
        *prosodic,
        *(f"d_{n}" for n in prosodic),
    ]


def feature_names() -> list[str]:
    """The name of every functional, in the order of :func:`functionals` (``<contour>_<statistic>``)."""
    return [f"{contour}_{statistic}" for statistic in STATISTICS for contour in contour_names()]


def n_features() -> int:
    """Length of one functionals vector (1,456)."""
    return len(STATISTICS) * len(contour_names())


def utterance_contours(samples: np.ndarray, sample_rate: int, n_fft: int, hop_length: int) -> np.ndarray:
    """Frame-level contours of one recording, after trimming leading and trailing silence.

    Parameters
    ----------
    samples : np.ndarray, shape (n_samples,)
        Mono audio in [-1, 1].
    sample_rate : int
        Hz.
    n_fft, hop_length : int
        FFT size and hop in samples; the analysis window is 25 ms (at most ``n_fft``).

    Returns
    -------
    np.ndarray, shape (len(contour_names()), n_frames), float32
    """
    trimmed, _ = librosa.effects.trim(samples, top_db=TRIM_TOP_DB)
    if trimmed.size < PITCH_FRAME:  # a click or near-silence: keep it all, padded to one pitch frame
        trimmed = np.pad(samples, (0, max(0, PITCH_FRAME - samples.size)))
    window = min(n_fft, round(WINDOW_SECONDS * sample_rate))
    magnitude = np.abs(librosa.stft(trimmed, n_fft=n_fft, win_length=window, hop_length=hop_length))
    mel = librosa.feature.melspectrogram(
        S=magnitude**2, sr=sample_rate, n_mels=N_MELS, fmin=50.0, fmax=sample_rate / 2
    )
    log_mel = np.log(mel + 1e-6)
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel), n_mfcc=N_MFCC)
    f0 = librosa.yin(
        trimmed,
        fmin=PITCH_RANGE_HZ[0],
        fmax=min(PITCH_RANGE_HZ[1], sample_rate / 4),
        sr=sample_rate,
        frame_length=PITCH_FRAME,
        hop_length=hop_length,
    )
    prosodic = [
        np.log(f0)[None],
        np.log(librosa.feature.rms(S=magnitude, frame_length=n_fft) + 1e-5),
        librosa.feature.spectral_centroid(S=magnitude, sr=sample_rate) / 1000.0,
        librosa.feature.spectral_flatness(S=magnitude),
        librosa.feature.zero_crossing_rate(trimmed, frame_length=n_fft, hop_length=hop_length),
        librosa.feature.spectral_contrast(S=magnitude, sr=sample_rate, n_bands=N_CONTRAST_BANDS, fmin=100.0),
    ]
    frames = min(mfcc.shape[1], *(p.shape[1] for p in prosodic))
    mfcc, log_mel = mfcc[:, :frames], log_mel[:, :frames]
    prosody = np.concatenate([p[:, :frames] for p in prosodic])
    width = min(5, frames if frames % 2 else frames - 1)  # delta needs an odd width within the clip
    if width >= 3:
        mfcc_deltas = [librosa.feature.delta(mfcc, width=width, order=order) for order in (1, 2)]
        prosody_delta = librosa.feature.delta(prosody, width=width)
    else:
        mfcc_deltas = [np.zeros_like(mfcc)] * 2
        prosody_delta = np.zeros_like(prosody)
    rows = [mfcc, *mfcc_deltas, log_mel, prosody, prosody_delta]
    return np.nan_to_num(np.concatenate(rows)).astype(np.float32)


def functionals(contours: np.ndarray) -> np.ndarray:
    """Seven statistics over time of every contour.

    Parameters
    ----------
    contours : np.ndarray, shape (n_contours, n_frames)

    Returns
    -------
    np.ndarray, shape (7 * n_contours,), float32
        Grouped by statistic, in the order of ``STATISTICS``.
    """
    contours = np.asarray(contours, dtype=np.float64)
    p10, p50, p90 = np.percentile(contours, [10, 50, 90], axis=1)
    with warnings.catch_warnings():
        # A constant contour (silence) has no skewness; scipy warns, and nan_to_num makes it 0.
        warnings.simplefilter("ignore", RuntimeWarning)
        skew = scipy.stats.skew(contours, axis=1) if contours.shape[1] > 2 else np.zeros(len(contours))
    stats = [contours.mean(axis=1), contours.std(axis=1), p10, p50, p90, skew, np.ptp(contours, axis=1)]
    return np.nan_to_num(np.concatenate(stats)).astype(np.float32)


def functionals_of_samples(samples: np.ndarray, sample_rate: int, n_fft: int, hop_length: int) -> np.ndarray:
    """Functionals of one recording: decoded audio, mono at ``sample_rate`` (Hz).

    ``n_fft`` and ``hop_length`` are the STFT window and hop in samples.
    ``ravdess_emotion.features.views.extract_audio_features`` decodes a file (WAV, FLAC
    or an MP4's soundtrack) and calls this.

    Returns
    -------
    np.ndarray, shape (n_features(),), float32
    """
    contours = utterance_contours(samples, sample_rate, n_fft, hop_length)
    return functionals(contours)
