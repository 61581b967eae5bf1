"""Audio of one file: decoding to mono samples, and the MFCC image.

Everything here works on one file or on decoded samples, so the loader can run it in
worker processes. The audio views (``ravdess_emotion.features.views``) compute their
features from what :func:`load_audio_samples` decodes.
"""

from __future__ import annotations

from pathlib import Path

import av
import librosa
import numpy as np
import soundfile

from ravdess_emotion.core.ravdess import VIDEO_EXTENSIONS
from ravdess_emotion.corpus.media import MediaError
from ravdess_emotion.features.settings import FeatureSettings


def load_audio_samples(path: str | Path, sample_rate: int, playback_speed: float = 1.0) -> np.ndarray:
    """Decode a WAV, FLAC or the audio track of an MP4 to mono float32 at ``sample_rate``.

    With ``playback_speed`` other than 1 the audio is resampled to ``sample_rate /
    playback_speed`` instead, so that at ``sample_rate`` it plays that many times faster.

    Returns
    -------
    np.ndarray, shape (n_samples,), float32 in [-1, 1]

    Raises
    ------
    MediaError
        When the file cannot be decoded or holds no audio.
    """
    path = Path(path)
    try:
        if path.suffix.lower() in VIDEO_EXTENSIONS:
            samples, native_rate = _decode_video_soundtrack(path)
        else:
            samples, native_rate = soundfile.read(path, dtype="float32", always_2d=True)
            samples = samples.mean(axis=1)  # six RAVDESS originals are stereo
    except MediaError:
        raise
    except Exception as error:
        raise MediaError(f"{path}: cannot decode audio ({error})") from error
    if samples.size == 0:
        raise MediaError(f"{path}: no audio samples")
    if not np.any(samples):
        # RAVDESS video-only (02-) clips carry a silent AAC track: silence is never a voice.
        raise MediaError(f"{path}: audio is pure silence")
    target_rate = round(sample_rate / playback_speed)
    if native_rate != target_rate:
        samples = librosa.resample(y=samples, orig_sr=native_rate, target_sr=target_rate)
    return samples.astype(np.float32, copy=False)


def _decode_video_soundtrack(path: Path) -> tuple[np.ndarray, int]:
    with av.open(str(path)) as container:
        if not container.streams.audio:
            raise MediaError(f"{path}: has no audio track (a video-only 02- file?)")
        stream = container.streams.audio[0]
        rate = stream.rate
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        chunks = [
            resampled.to_ndarray().reshape(-1)
            for frame in container.decode(stream)
            for resampled in resampler.resample(frame)
        ]
        chunks.extend(r.to_ndarray().reshape(-1) for r in resampler.resample(None))
    return (np.concatenate(chunks) if chunks else np.zeros(0, np.float32)), rate


def extract_mfcc(path: str | Path, settings: FeatureSettings) -> np.ndarray:
    """MFCCs of one file, padded or cut to ``settings.max_frames``.

    Returns
    -------
    np.ndarray, shape (n_mfcc, max_frames), float32
    """
    return mfcc_of_samples(load_audio_samples(path, settings.sample_rate, settings.playback_speed), settings)


def mfcc_of_samples(samples: np.ndarray, settings: FeatureSettings) -> np.ndarray:
    """:func:`extract_mfcc` of decoded audio: ``samples`` mono float32 at ``settings.sample_rate``.

    Returns
    -------
    np.ndarray, shape (n_mfcc, max_frames), float32
    """
    mfcc = librosa.feature.mfcc(
        y=samples,
        sr=settings.sample_rate,
        n_mfcc=settings.n_mfcc,
        n_fft=settings.n_fft,
        hop_length=settings.hop_length,
    )
    return librosa.util.fix_length(mfcc, size=settings.max_frames, axis=1).astype(np.float32)
