"""Audio of one file: decoding to mono samples, and the MFCC image.

Everything here works on one file or on decoded samples, so the loader can run it in
worker processes. The audio views (``ravdess_emotion.features.views``) compute their
features from what :func:`load_audio_samples` decodes.

Decoding reads what people have: libsndfile (``soundfile``) reads WAV, FLAC, MP3 and
OGG (Vorbis and Opus); FFmpeg (PyAV) reads M4A/AAC, WebM (what a browser records) and
the soundtrack of a video, and any file libsndfile refuses.
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

SOUNDFILE_EXTENSIONS = (".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus")
"""What libsndfile decodes (its MP3 and Opus support came with libsndfile 1.1)."""
FFMPEG_EXTENSIONS = (".m4a", ".aac", ".webm", ".mka")
"""Audio containers only FFmpeg (PyAV) decodes here."""
DECODED_AUDIO_EXTENSIONS = SOUNDFILE_EXTENSIONS + FFMPEG_EXTENSIONS
"""Every audio-only format :func:`load_audio_samples` reads (video soundtracks besides)."""


def load_audio_samples(path: str | Path, sample_rate: int, playback_speed: float = 1.0) -> np.ndarray:
    """Decode an audio file (``DECODED_AUDIO_EXTENSIONS``) or a video's soundtrack to mono float32 at ``sample_rate``.

    With ``playback_speed`` other than 1 the audio is resampled to ``sample_rate /
    playback_speed`` instead, so that at ``sample_rate`` it plays that many times faster.

    Returns
    -------
    np.ndarray, shape (n_samples,), float32 in [-1, 1]

    Raises
    ------
    MediaError
        When the file is empty, cannot be decoded (with each decoder's reason), or holds
        no audio.
    """
    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise MediaError(f"{path}: empty file (0 bytes)")
    except OSError as error:
        raise MediaError(f"{path}: cannot be read ({error.strerror or error})") from error
    samples, native_rate = _decode(path)
    if samples.size == 0:
        raise MediaError(f"{path}: no audio samples")
    if not np.any(samples):
        # RAVDESS video-only (02-) clips carry a silent AAC track: silence is never a voice.
        raise MediaError(f"{path}: audio is pure silence")
    target_rate = round(sample_rate / playback_speed)
    if native_rate != target_rate:
        samples = librosa.resample(y=samples, orig_sr=native_rate, target_sr=target_rate)
    return samples.astype(np.float32, copy=False)


def _decode(path: Path) -> tuple[np.ndarray, int]:
    """Mono samples and their rate: libsndfile for its formats, FFmpeg for the rest and for what libsndfile refuses."""
    reasons = []
    if path.suffix.lower() in SOUNDFILE_EXTENSIONS:
        try:
            samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
            return samples.mean(axis=1), int(rate)  # stereo (six RAVDESS originals, most phones) to mono
        except Exception as error:  # libsndfile names no finer cause than its message
            reasons.append(f"libsndfile: {str(error).replace(str(path), '').strip(' :')}")
    try:
        return _decode_with_ffmpeg(path)
    except MediaError:
        raise
    except Exception as error:  # PyAV raises its own error types per FFmpeg error code
        reasons.append(
            f"FFmpeg: {str(error).replace(repr(str(path)), '').replace(str(path), '').strip(' :;')}"
        )
    raise MediaError(f"{path}: cannot decode audio ({'; '.join(reasons)})")


def _decode_with_ffmpeg(path: Path) -> tuple[np.ndarray, int]:
    with av.open(str(path)) as container:
        if not container.streams.audio:
            hint = " (a video-only 02- file?)" if path.suffix.lower() in VIDEO_EXTENSIONS else ""
            raise MediaError(f"{path}: has no audio track{hint}")
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
