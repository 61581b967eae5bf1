"""Features for the models: MFCCs from audio, sampled frames from video, and both for fusion.

Reads the manifest that ``organize_data.py`` writes, extracts features in parallel
with a progress bar, and caches them on disk as ``.npz`` files that are loaded with
``allow_pickle=False`` (a cache file can never execute code). A cache file's name
carries a hash of every feature setting and of the exact input files, so changing a
setting or the data builds a new cache instead of silently reusing a stale one.

Usage as a script (the "features" step of the pipeline)::

    python data_loader.py --data-dir data/organized --kinds audio,video,fusion

and from Python::

    loader = RAVDESSDataLoader("data/organized")
    X, y = loader.load_audio_dataset("speech")          # (n, 13, 216), (n,)
    X, y = loader.load_video_dataset("speech")          # (n, 30, 224, 224, 3) in [0, 1]
    (Xa, Xv), y = loader.load_multimodal_dataset("speech")
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import json
import os
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import joblib
import librosa
import numpy as np
import pandas as pd
import soundfile
from joblib.externals.loky.process_executor import TerminatedWorkerError
from tqdm.auto import tqdm

from media import MediaError
from organize_data import DEFAULT_DEST, read_manifest
from ravdess import CHANNELS, EMOTIONS, VIDEO_EXTENSIONS, is_synthetic

FEATURE_VERSION = 2
"""Bumped whenever extraction code changes what it computes, so old caches are rebuilt."""

KINDS = ("audio", "video", "fusion")
AUDIO_FEATURES = ("mfcc", "functionals")

BLACK_LEVEL = 8
"""A clip whose sampled frames all stay below this 0-255 level is black: no face to read."""


PLAYBACK_SPEED_RANGE = (0.5, 2.0)  # beyond it a voice is no longer a plausible voice

SEED_SETTING_NAMES = {"n_frames": "video_frames", "img_size": "video_size"}
"""The seed's names of loader settings, accepted by :class:`RAVDESSDataLoader` for its README's calls."""


@dataclass(frozen=True)
class FeatureSettings:
    """Every setting that changes a feature; stored beside each model so prediction matches training.

    Attributes
    ----------
    sample_rate : int
        Audio is resampled to this rate (Hz) before MFCCs are computed.
    n_mfcc : int
        Number of MFCC coefficients.
    max_frames : int
        MFCC frames per clip; shorter clips are zero-padded at the end, longer ones cut.
        At 22,050 Hz and hop 512 one frame is 23.2 ms, so 216 frames cover 5.0 s.
    n_fft, hop_length : int
        STFT window and hop, in samples at ``sample_rate``.
    video_frames : int
        Frames sampled evenly over each clip.
    video_size : tuple of int
        (height, width) in pixels that every frame is resized to.
    face_crop : bool
        Crop frames to the face (one Haar-cascade box per clip) before resizing; when no
        face is found, to the centre square. See ``video_features.sample_face_frames``.
    audio_features : {"mfcc", "functionals"}
        ``"mfcc"``: the (n_mfcc, max_frames) MFCC image of the seed's CNN-LSTM.
        ``"functionals"``: one vector of utterance statistics per file, see
        ``audio_functionals`` (``n_mfcc`` and ``max_frames`` are then unused).
    speaker_norm : bool
        Standardise audio features within each speaker's own recordings (the RAVDESS
        actor; in ``predict.py`` the actor or the folder). Functionals only.
    playback_speed : float
        Audio is played this many times faster before its features are computed (speed
        perturbation: tempo, pitch and formants all scale, as for a different voice).
        Only the training copies of ``train_models.py --speed-perturbation`` use a value
        other than 1.0; a saved model's settings always say 1.0.
    """

    sample_rate: int = 22050
    n_mfcc: int = 13
    max_frames: int = 216
    n_fft: int = 2048
    hop_length: int = 512
    video_frames: int = 30
    video_size: tuple[int, int] = (224, 224)
    face_crop: bool = True
    audio_features: str = "mfcc"
    speaker_norm: bool = False
    playback_speed: float = 1.0

    def __post_init__(self) -> None:
        _check_choice("audio_features", self.audio_features, AUDIO_FEATURES)
        if self.speaker_norm and self.audio_features != "functionals":
            raise ValueError("speaker_norm needs audio_features='functionals'")
        for name in ("sample_rate", "n_mfcc", "max_frames", "n_fft", "hop_length", "video_frames"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        low, high = PLAYBACK_SPEED_RANGE
        if not low <= self.playback_speed <= high:
            raise ValueError(f"playback_speed must be between {low} and {high}, got {self.playback_speed}")
        if len(self.video_size) != 2 or min(self.video_size) <= 0:
            raise ValueError(f"video_size must be (height, width) > 0, got {self.video_size}")
        object.__setattr__(self, "video_size", tuple(int(v) for v in self.video_size))
        object.__setattr__(self, "face_crop", bool(self.face_crop))

    @property
    def audio_shape(self) -> tuple[int, ...]:
        """One file's audio features: (n_mfcc, max_frames), or (n_features,) for functionals."""
        if self.audio_features == "functionals":
            from audio_functionals import n_features

            return (n_features(),)
        return (self.n_mfcc, self.max_frames)

    @property
    def video_shape(self) -> tuple[int, int, int, int]:
        return (self.video_frames, *self.video_size, 3)

    def to_dict(self) -> dict[str, object]:
        settings = asdict(self)
        settings["video_size"] = list(self.video_size)
        return settings

    @classmethod
    def from_dict(cls, settings: dict[str, object]) -> FeatureSettings:
        known = {k: v for k, v in settings.items() if k in cls.__dataclass_fields__}
        if "video_size" in known:
            known["video_size"] = tuple(known["video_size"])  # type: ignore[arg-type]
        known.setdefault("face_crop", False)  # saved before the setting existed: frames were not cropped
        return cls(**known)  # type: ignore[arg-type]


class WorkerCrashError(RuntimeError):
    """An extraction worker process died (a crash in native code); the message names the file."""


# --------------------------------------------------------------------------- audio


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
    import av  # PyAV: only needed for MP4 soundtracks

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


# --------------------------------------------------------------------------- video


def sample_frames(path: str | Path, n_frames: int, size: tuple[int, int]) -> np.ndarray:
    """Decode a clip once, front to back, keeping ``n_frames`` evenly spaced whole frames.

    Frames that are not kept are only grabbed, never converted, and the clip is never
    seeked: seeking by index in H.264 is many times slower than reading sequentially.
    A clip with fewer frames than asked repeats frames (evenly, in order). The decoding
    is ``video_features.sample_face_frames`` without a crop.

    Returns
    -------
    np.ndarray, shape (n_frames, height, width, 3), uint8 RGB

    Raises
    ------
    MediaError
        When the clip cannot be opened, stops decoding well before the frame count its
        container states (a truncated file), or every sampled frame is black.
    """
    from video_features import sample_face_frames  # it builds on this module's settings and errors

    return sample_face_frames(path, n_frames, size, crop="none")[0]


# --------------------------------------------------------------------------- caches


class CacheError(ValueError):
    """A feature cache that is unreadable, incomplete or unsafe; the message names the file."""


def save_features(
    path: str | Path,
    X: np.ndarray | Sequence[np.ndarray],
    y: np.ndarray,
    info: pd.DataFrame | None = None,
    meta: dict[str, str] | None = None,
) -> Path:
    """Save features, labels and per-sample information as an ``.npz`` file, atomically.

    ``X`` may be one array or a sequence of arrays (audio and video for fusion). The file
    holds only numeric and string arrays, so :func:`load_features` never unpickles.
    ``meta`` strings are stored as ``meta__<key>`` (read them with :func:`load_meta`).
    It is written under a temporary name and renamed, so the final name never holds a
    half file; a full disk raises ``OSError("no space left on device while writing ...")``
    and leaves nothing behind.
    """
    path = Path(path)
    arrays: dict[str, np.ndarray] = {"y": np.asarray(y)}
    arrays.update({f"meta__{key}": np.array(value, dtype=str) for key, value in (meta or {}).items()})
    inputs = list(X) if isinstance(X, list | tuple) else [X]
    for i, array in enumerate(inputs):
        arrays[f"X{i}"] = np.asarray(array)
    if info is not None:
        for column in info.columns:
            values = info[column].to_numpy()
            arrays[f"info__{column}"] = values.astype(str) if values.dtype == object else values
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_name = None
    try:
        with tempfile.NamedTemporaryFile(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
        ) as tmp:
            tmp_name = tmp.name
            np.savez(tmp, **arrays)
        os.replace(tmp_name, path)
    except BaseException as error:
        if tmp_name is not None:
            Path(tmp_name).unlink(missing_ok=True)
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:
            raise OSError(f"no space left on device while writing {path}") from error
        raise
    return path


def _read_npz(path: str | Path, read: Callable[[np.lib.npyio.NpzFile], object]):
    """``read(data)`` on an open cache; any failure to read becomes a :class:`CacheError` naming the file."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return read(data)
    except FileNotFoundError:
        raise
    except ValueError as error:
        if "allow_pickle" in str(error):
            raise CacheError(
                f"{path}: holds pickled objects, refused (a cache never executes code)"
            ) from error
        raise CacheError(f"{path}: unreadable feature cache ({error})") from error
    except (OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as error:
        raise CacheError(f"{path}: unreadable or incomplete feature cache ({error})") from error


def load_features(path: str | Path) -> tuple[np.ndarray | list[np.ndarray], np.ndarray, pd.DataFrame]:
    """Load what :func:`save_features` wrote: ``(X, y, info)``; ``X`` is a list for fusion.

    Raises
    ------
    CacheError
        When the file is truncated or corrupt (every member's CRC is checked), lacks
        ``X`` or ``y``, its arrays disagree in length, or it holds pickled objects.
    """

    def read(data):
        inputs = [data[k] for k in sorted(k for k in data.files if k.startswith("X"))]
        y = data["y"]
        info = pd.DataFrame({k.removeprefix("info__"): data[k] for k in data.files if k.startswith("info__")})
        return inputs, y, info

    inputs, y, info = _read_npz(path, read)
    lengths = {len(y), *(len(x) for x in inputs), *([len(info)] if len(info.columns) else [])}
    if not inputs or len(lengths) != 1:
        raise CacheError(f"{path}: incomplete feature cache (no X arrays, or arrays of different lengths)")
    return (inputs[0] if len(inputs) == 1 else inputs), y, info


def load_meta(path: str | Path) -> dict[str, str]:
    """The ``meta`` strings :func:`save_features` stored (``{}`` if none); raises :class:`CacheError`."""
    return _read_npz(
        path,
        lambda data: {k.removeprefix("meta__"): str(data[k]) for k in data.files if k.startswith("meta__")},
    )


# --------------------------------------------------------------------------- loader


def _default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


class RAVDESSDataLoader:
    """Load model-ready features from an organized RAVDESS (or demo) folder.

    Parameters
    ----------
    data_dir : path
        The folder ``organize_data.py`` wrote (holds ``manifest.csv``); default
        ``data/organized``.
    settings : FeatureSettings
        Feature settings; keyword arguments such as ``n_mfcc=40`` override single fields
        (any field of :class:`FeatureSettings`; the seed's names ``n_frames`` and
        ``img_size`` mean ``video_frames`` and ``video_size``).
    cache_dir : path, optional
        Where feature caches go; default ``<data_dir>/../features``.
    n_jobs : int, optional
        Worker processes for extraction; default all cores.
    progress : bool
        Show progress bars.
    strict : bool
        Raise :class:`MediaError` listing the files that could not be used instead of
        dropping them (and reporting them in ``skipped``).

    Attributes
    ----------
    skipped : list of str
        One message per file (or take) left out of a dataset loaded by this loader,
        also replayed from a cache, so every run can count what it is missing.
    """

    def __init__(
        self,
        data_dir: str | Path = DEFAULT_DEST,
        settings: FeatureSettings | None = None,
        cache_dir: str | Path | None = None,
        n_jobs: int | None = None,
        progress: bool = True,
        strict: bool = False,
        **overrides: object,
    ) -> None:
        self.strict = strict
        self.skipped: list[str] = []
        self._failures: list[str] = []
        base = settings or FeatureSettings()
        overrides = {SEED_SETTING_NAMES.get(name, name): value for name, value in overrides.items()}
        unknown = sorted(set(overrides) - set(FeatureSettings.__dataclass_fields__))
        if unknown:
            raise TypeError(
                f"RAVDESSDataLoader got unknown settings {unknown}; feature settings are "
                f"{', '.join(FeatureSettings.__dataclass_fields__)}"
            )
        self.settings = FeatureSettings.from_dict({**base.to_dict(), **overrides}) if overrides else base
        self.data_dir = Path(data_dir)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else self.data_dir.parent / "features"
        self.n_jobs = n_jobs or _default_jobs()
        self.progress = progress
        self._manifest: pd.DataFrame | None = None

    @property
    def manifest(self) -> pd.DataFrame:
        """The organized files, one row each (see ``organize_data.read_manifest``).

        Raises
        ------
        FileNotFoundError
            When ``data_dir`` holds no manifest, saying how to make one.
        """
        if self._manifest is None:
            self._manifest = read_manifest(self.data_dir)
        return self._manifest

    @property
    def synthetic(self) -> bool:
        """Whether ``data_dir`` holds the synthetic demo data (``ravdess.SYNTHETIC_MARKER``), not RAVDESS."""
        return is_synthetic(self.data_dir)

    # -- the seed's interface: features saved to one file and loaded back

    def save_features(self, X: np.ndarray | Sequence[np.ndarray], y: np.ndarray, path: str | Path) -> Path:
        """Save features and labels to ``path`` (the seed's argument order), atomically.

        The file is always the project's safe ``.npz`` format, whatever its name says: a
        name such as ``features_audio.pkl`` is accepted, but nothing is ever pickled, so
        :meth:`load_features` can never execute code. See the module function
        :func:`save_features` for per-sample information and metadata.
        """
        return save_features(path, X, y)

    def load_features(self, path: str | Path) -> tuple[np.ndarray | list[np.ndarray], np.ndarray]:
        """``(X, y)`` as :meth:`save_features` wrote them (``X`` a list for fusion).

        Raises
        ------
        CacheError
            When the file is corrupt or truncated, or holds pickled objects (refused).
        """
        X, y, _ = load_features(path)
        return X, y

    # -- which files

    def select(self, kind: str, channel: str) -> pd.DataFrame:
        """Rows of the manifest that feed one kind of model, one row per take.

        ``audio`` takes audio-only files; ``video`` one clip per take (video-only when
        present, else audio-video: both hold the same frames); ``fusion`` audio-video
        clips, each with ``audio_path`` set to its audio-only twin when that exists.
        """
        _check_choice("kind", kind, KINDS)
        _check_choice("channel", channel, tuple(CHANNELS.values()))
        rows = self.manifest[self.manifest["channel"] == channel]
        if kind == "audio":
            chosen = rows[rows["modality"] == 3].copy()
        elif kind == "video":
            clips = rows[rows["modality"].isin([1, 2])]
            chosen = clips.sort_values("modality", ascending=False).drop_duplicates("take").copy()
        else:
            chosen = rows[rows["modality"] == 1].copy()
            twins = rows[rows["modality"] == 3].drop_duplicates("take").set_index("take")["path"]
            chosen["audio_path"] = chosen["take"].map(twins).fillna(chosen["path"])
        return chosen.sort_values("filename").reset_index(drop=True)

    # -- public datasets

    def load_audio_dataset(self, channel: str = "speech", return_info: bool = False):
        """Audio features of every audio-only file of a channel.

        With ``settings.speaker_norm`` every feature is standardised within each actor's
        own files (``audio_functionals.speaker_normalize``); the cache keeps them raw.

        Returns
        -------
        X : np.ndarray, float32, shape (n, n_mfcc, max_frames) for MFCCs, or
            (n, n_features) for functionals (``settings.audio_shape`` per file)
        y : np.ndarray, shape (n,), int64 class index (``EMOTIONS[y]`` is the name)
        info : pd.DataFrame, only with ``return_info``: the manifest row of each sample
        """
        X, y, info = self._cached("audio", channel)
        if self.settings.speaker_norm:
            from audio_functionals import speaker_normalize

            X = speaker_normalize(X, info["actor"].to_numpy())
        return (X, y, info) if return_info else (X, y)

    def load_audio_speed_copies(
        self, channel: str, speeds: Sequence[float], info: pd.DataFrame
    ) -> list[np.ndarray]:
        """The audio features of the files in ``info`` played faster or slower: one array per speed.

        Speed perturbation for training (``train_models.py --speed-perturbation``): each
        copy is extracted and cached like the original (``FeatureSettings.playback_speed``)
        and, with ``settings.speaker_norm``, standardised per actor within its own copy,
        so that an actor at another speed counts as another speaker.

        Parameters
        ----------
        channel : str
        speeds : sequence of float
            Playback speeds, e.g. ``(0.9, 1.1)``.
        info : pd.DataFrame
            The rows of :meth:`load_audio_dataset` (``return_info=True``).

        Returns
        -------
        list of np.ndarray, each shaped like the features of ``info``, row for row
        """
        copies = []
        for speed in speeds:
            loader = RAVDESSDataLoader(
                self.data_dir,
                replace(self.settings, playback_speed=float(speed)),
                cache_dir=self.cache_dir,
                n_jobs=self.n_jobs,
                progress=self.progress,
                strict=self.strict,
            )
            loader._manifest = self._manifest
            X, _, copy_info = loader.load_audio_dataset(channel, return_info=True)
            self.skipped.extend(loader.skipped)
            position = pd.Index(copy_info["path"]).get_indexer(info["path"])
            if (position < 0).any():
                missing = info["path"][position < 0].tolist()
                raise MediaError(
                    f"{len(missing)} files decoded at normal speed but not at speed {speed}, e.g. {missing[0]}"
                )
            copies.append(X[position])
        return copies

    def load_video_dataset(self, channel: str = "speech", return_info: bool = False, scale: bool = True):
        """Sampled frames of one clip per take of a channel.

        Returns
        -------
        X : np.ndarray, shape (n, video_frames, height, width, 3)
            float32 in [0, 1] (``scale=True``) or the cached uint8 (``scale=False``).
        y, info : as for :meth:`load_audio_dataset`
        """
        X, y, info = self._cached("video", channel)
        X = X.astype(np.float32) / 255.0 if scale else X
        return (X, y, info) if return_info else (X, y)

    def load_multimodal_dataset(self, channel: str = "speech", return_info: bool = False, scale: bool = True):
        """Audio and video of the same takes, for the fusion model.

        Each audio-video clip is paired with the audio-only file of the same take;
        when that is absent, the clip's own soundtrack is decoded.

        Returns
        -------
        (X_audio, X_video) : shapes (n, n_mfcc, max_frames) and (n, frames, h, w, 3)
        y, info : as for :meth:`load_audio_dataset`
        """
        (X_audio, X_video), y, info = self._cached("fusion", channel)
        X_video = X_video.astype(np.float32) / 255.0 if scale else X_video
        return ((X_audio, X_video), y, info) if return_info else ((X_audio, X_video), y)

    def video_cache(self, kind: str = "video", channel: str = "speech"):
        """Frames of every clip of ``kind`` ("video" or "fusion") in the on-disk frame cache, for streaming.

        Fills ``<cache_dir>/frames`` (one uint8 ``.npy`` per clip, extracting only missing
        clips) and returns what ``video_batches.VideoBatches`` reads, without loading frames.

        Video takes one clip per take (``select("video", ...)``). Fusion takes the
        audio-video clips (``select("fusion", ...)``), pairs each with the MFCCs of its
        take's audio-only twin (from the audio model's own cache; the clip's soundtrack
        when there is no twin), and reads the take's frames from the same cache file as the
        video model (RAVDESS's 01 and 02 files hold the same frames), so the two never
        extract a take twice. Clips or audio that fail are reported in ``skipped`` and left
        out (``strict`` raises instead).

        Returns
        -------
        clips : video_batches.ClipSet
            The cache files (and, for fusion, the MFCCs of each take's audio), row for row.
        y, info : as for :meth:`load_audio_dataset`
        """
        from video_batches import ClipSet
        from video_features import FrameCache

        if kind not in ("video", "fusion"):
            raise ValueError(f"video_cache is for kind 'video' or 'fusion', got {kind!r}")
        if kind == "fusion":
            self._check_fusion_audio()
        first_skip = len(self.skipped)
        if kind == "fusion":
            self._report(self._unpaired_takes(channel))
        rows = self._required_rows(kind, channel)
        clip_rows = rows
        if kind == "fusion":
            video = self.select("video", channel).set_index("take")
            clip_rows = video.loc[rows["take"]].reset_index()
        cache = FrameCache(
            self.cache_dir / "frames", self.settings, n_jobs=self.n_jobs, progress=self.progress
        )
        files = cache.ensure([self.data_dir / p for p in clip_rows["path"]], clip_rows["sha256"].tolist())
        self._report(list(cache.failures.values()))
        ok = np.array([f is not None for f in files], dtype=bool)
        audio = None
        if kind == "fusion":
            audio = np.zeros((len(rows), *self.settings.audio_shape), np.float32)
            found = np.zeros(len(rows), dtype=bool)
            try:
                X_audio, _, audio_info = self._cached("audio", channel)  # the audio model's MFCC cache
                by_take = dict(zip(audio_info["take"].astype(str), range(len(audio_info)), strict=True))
            except ValueError:  # no audio-only files of this channel at all
                by_take = {}
            for i, take in enumerate(rows["take"].astype(str)):
                if take in by_take:
                    audio[i], found[i] = X_audio[by_take[take]], True
            if not found.all():  # no audio-only twin (or it failed): the clip's own soundtrack
                missing = np.flatnonzero(~found)
                paths = [self.data_dir / rows["path"].iat[i] for i in missing]
                notes = {
                    p: f"take {rows['take'].iat[i]}: no usable audio-only file"
                    for p, i in zip(paths, missing, strict=True)
                }
                try:
                    X_sound, sound_ok = self._parallel(
                        extract_mfcc_job, paths, f"MFCC soundtracks {channel}", notes
                    )
                    audio[missing[sound_ok]], found[missing[sound_ok]] = X_sound, True
                except MediaError:
                    pass  # each failure is already reported
            ok &= found
        if not ok.any():
            raise MediaError(f"none of the {len(rows)} {kind} {channel} takes could be used")
        self._check_strict(kind, channel, first_skip)
        kept_files = [f for f, keep in zip(files, ok, strict=True) if keep]
        clips = ClipSet(kept_files, None if audio is None else audio[ok], cache.folder)
        kept = rows[ok].reset_index(drop=True)
        return clips, kept["emotion_code"].to_numpy(dtype=np.int64) - 1, kept

    # -- caching

    def cache_path(self, kind: str, channel: str) -> Path:
        """Where the features of ``kind`` and ``channel`` are cached for these settings and files."""
        return self._cache_path_for(kind, channel, self._cache_key_source(kind, channel))

    def _cache_path_for(self, kind: str, channel: str, key_source: str) -> Path:
        key = hashlib.sha256(key_source.encode()).hexdigest()[:16]
        return self.cache_dir / f"{kind}_{channel}_{key}.npz"

    def _cache_key_source(self, kind: str, channel: str) -> str:
        """Everything a cache depends on, as JSON: also stored inside the cache and checked on loading."""
        rows = self.select(kind, channel)
        relevant = self._relevant_settings(kind)
        return json.dumps(
            {
                "version": FEATURE_VERSION,
                "kind": kind,
                "settings": relevant,
                "files": rows[["filename", "sha256"]].astype(str).values.tolist(),
                "twins": rows["audio_path"].tolist() if "audio_path" in rows else [],
            },
            sort_keys=True,
        )

    def _relevant_settings(self, kind: str) -> dict[str, object]:
        settings = self.settings.to_dict()
        audio_keys = ("sample_rate", "n_mfcc", "max_frames", "n_fft", "hop_length", "audio_features")
        video_keys = ("video_frames", "video_size", "face_crop")
        keys = {"audio": audio_keys, "video": video_keys, "fusion": audio_keys + video_keys}[kind]
        relevant = {k: settings[k] for k in keys}
        if kind != "video" and self.settings.playback_speed != 1.0:
            # Only when it changes something: caches written before the setting existed stay valid.
            relevant["playback_speed"] = self.settings.playback_speed
        return relevant

    def _cached(self, kind: str, channel: str):
        """Load a dataset from its cache, or extract and cache it; a broken or stale cache is rebuilt.

        Everything left out is reported and added to ``skipped``; with ``strict`` a
        :class:`MediaError` listing it is raised instead of returning the dataset.
        """
        if kind == "fusion":
            self._check_fusion_audio()
        # One selection and key for both the cache's name and the key stored inside it.
        key_source = self._cache_key_source(kind, channel)
        path = self._cache_path_for(kind, channel, key_source)
        first_skip = len(self.skipped)
        if kind == "fusion":
            self._report(self._unpaired_takes(channel))
        if path.exists():
            try:
                meta = load_meta(path)
                # Older caches carry no key; their file name's hash is then the only check.
                if meta.get("key", key_source) != key_source:
                    raise CacheError(f"{path}: written for other settings, files or feature version")
                X, y, info = load_features(path)
            except CacheError as error:
                print(f"{error}; rebuilding it", file=sys.stderr)
                path.unlink(missing_ok=True)
            else:
                self._report(json.loads(meta.get("skipped", "[]")))
                self._check_strict(kind, channel, first_skip)
                return X, y, info
        rows = self._required_rows(kind, channel)
        self._failures = []
        X, rows = self._extract(kind, rows)
        y = rows["emotion_code"].to_numpy(dtype=np.int64) - 1
        save_features(path, X, y, rows, meta={"key": key_source, "skipped": json.dumps(self._failures)})
        self._check_strict(kind, channel, first_skip)
        return X, y, rows

    def _check_fusion_audio(self) -> None:
        if self.settings.audio_features != "mfcc":
            raise ValueError(
                f"the fusion model reads MFCC images; audio_features={self.settings.audio_features!r} "
                "is for the audio models only"
            )

    def _required_rows(self, kind: str, channel: str) -> pd.DataFrame:
        """:meth:`select`, refusing an empty selection with what to do about it."""
        rows = self.select(kind, channel)
        if rows.empty:
            raise ValueError(
                f"no {kind} files for channel {channel!r} in {self.data_dir / 'manifest.csv'}; "
                "run organize_data.py on the archives that hold them"
            )
        return rows

    def _report(self, messages: Sequence[str], limit: int = 20) -> None:
        """Print what is left out (the first ``limit`` of a batch) and record all of it in ``skipped``."""
        for message in messages[:limit]:
            print(f"skipped: {message}", file=sys.stderr)
        if len(messages) > limit:
            print(f"skipped: ... and {len(messages) - limit} more", file=sys.stderr)
        self.skipped.extend(messages)

    def _check_strict(self, kind: str, channel: str, first_skip: int) -> None:
        skipped = self.skipped[first_skip:]
        if self.strict and skipped:
            raise MediaError(f"strict: {len(skipped)} skipped for {kind} {channel}: " + "; ".join(skipped))

    def _unpaired_takes(self, channel: str) -> list[str]:
        """A message for each audio-only take of ``channel`` without the audio-video clip fusion needs."""
        rows = self.manifest[self.manifest["channel"] == channel]
        clips = set(rows.loc[rows["modality"] == 1, "take"])
        audio = rows[(rows["modality"] == 3) & ~rows["take"].isin(clips)].sort_values("filename")
        return [
            f"take {take} ({filename}): no audio-video clip, skipped for fusion"
            for take, filename in zip(audio["take"], audio["filename"], strict=True)
        ]

    def _extract(self, kind: str, rows: pd.DataFrame) -> tuple[np.ndarray | list[np.ndarray], pd.DataFrame]:
        """Features of ``rows``; a file that fails to decode is reported and its row dropped."""
        channel = rows["channel"].iat[0]
        paths = [self.data_dir / p for p in rows["path"]]
        if kind == "audio":
            what = "functionals" if self.settings.audio_features == "functionals" else "MFCC"
            X, ok = self._parallel(extract_audio_job, paths, f"{what} {channel}")
            return X, rows[ok].reset_index(drop=True)
        if kind == "video":
            X, ok = self._parallel(sample_frames_job, paths, f"frames {channel}")
            return X, rows[ok].reset_index(drop=True)
        audio_paths = [self.data_dir / p for p in rows["audio_path"]]
        # A take without its audio-only file falls back to the clip's soundtrack; say so when that fails too.
        notes = {
            self.data_dir / clip: f"take {take}: no audio-only file, and the clip's soundtrack failed"
            for clip, twin, take in zip(rows["path"], rows["audio_path"], rows["take"], strict=True)
            if clip == twin
        }
        X_audio, audio_ok = self._parallel(extract_mfcc_job, audio_paths, f"MFCC fusion {channel}", notes)
        X_video, video_ok = self._parallel(sample_frames_job, paths, f"frames fusion {channel}")
        # Keep only takes where both sides decoded, aligned row for row.
        both = audio_ok & video_ok
        return [X_audio[both[audio_ok]], X_video[both[video_ok]]], rows[both].reset_index(drop=True)

    def _parallel(
        self,
        job: Callable[[Path, FeatureSettings], np.ndarray],
        paths: list[Path],
        what: str,
        notes: dict[Path, str] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Run ``job`` over ``paths`` on all workers; returns the stacked results and a mask of successes.

        Each failure is reported (prefixed by its ``notes`` entry, if any) and kept for the cache.
        Audio jobs first compile librosa's numba code here (:func:`compile_audio_code`);
        frame sampling uses none, so a video-only run never waits for that.
        """
        if self.n_jobs > 1 and job is not sample_frames_job:
            compile_audio_code(self.settings)
        with tempfile.TemporaryDirectory(prefix="ravdess-extracting-") as in_flight:
            runner = joblib.Parallel(n_jobs=self.n_jobs, return_as="generator")
            results = runner(joblib.delayed(_guarded)(job, p, self.settings, in_flight) for p in paths)
            try:
                outputs = list(
                    tqdm(results, total=len(paths), desc=what, unit="file", disable=not self.progress)
                )
            except TerminatedWorkerError as error:
                raise WorkerCrashError(_worker_crash_message(Path(in_flight), what, error)) from None
        ok = np.array([not isinstance(o, str) for o in outputs], dtype=bool)
        failures = [
            f"{notes[p]}: {o}" if notes and p in notes else o
            for p, o in zip(paths, outputs, strict=True)
            if isinstance(o, str)
        ]
        self._report(failures)
        self._failures.extend(failures)
        if not ok.any():
            raise MediaError(f"none of the {len(paths)} files for {what} could be decoded")
        return np.stack([o for o in outputs if not isinstance(o, str)]), ok


def _guarded(
    job: Callable[[Path, FeatureSettings], np.ndarray],
    path: Path,
    settings: FeatureSettings,
    in_flight: str | None = None,
):
    """Run one extraction; a decoding failure comes back as its message instead of ending the run.

    With ``in_flight`` (a folder), the worker notes the file it works on in a file named by
    its process id, so that when native code kills the process the parent can name the file.
    """
    note = Path(in_flight, str(os.getpid())) if in_flight else None
    if note is not None:
        note.write_text(str(path))
    try:
        return job(path, settings)
    except MediaError as error:
        return str(error)
    finally:
        if note is not None:
            note.unlink(missing_ok=True)


def _worker_crash_message(in_flight: Path, what: str, error: BaseException) -> str:
    """What died, on which file (the notes of :func:`_guarded` whose process is gone), and what to try."""
    files = []
    for note in sorted(in_flight.iterdir()):
        try:
            os.kill(int(note.name), 0)  # signal 0 only asks whether the process exists
        except ProcessLookupError:
            files.append(note.read_text())
        except (OSError, ValueError):
            continue
    # The executor stops the other workers too, so a file of theirs can be named beside the culprit.
    if len(files) > 1:
        where = f"while extracting one of {', '.join(files)}"
    else:
        where = f"while extracting {files[0]}" if files else f"during {what}"
    numba_cache = Path(librosa.__file__).parent
    reason = " ".join(str(error).split())  # joblib's message spans lines; an error line is one line
    return (
        f"an extraction worker process died {where} ({reason}). A crash inside librosa (librosa.yin, say) "
        f"usually means a corrupt numba cache: delete the *.nbi and *.nbc files under {numba_cache} (or "
        "set NUMBA_CACHE_DIR to an empty folder) and run again. If the same file crashes again, run with "
        "--jobs 1 to see the error, or move that file away."
    )


_COMPILED_AUDIO_FEATURES: set[str] = set()


def compile_audio_code(settings: FeatureSettings) -> None:
    """Run the audio feature code of ``settings`` once, in this process, on a short synthetic tone.

    librosa compiles numba functions on first use and caches them on disk. Two worker
    processes compiling the same function at once on a cold cache can leave that cache
    corrupt, after which ``librosa.yin`` crashes in every process (numba issue 10128).
    Called before extraction workers start, this compiles and caches everything they run,
    so the workers only ever read the cache. Runs once per process and feature kind.
    """
    if settings.audio_features in _COMPILED_AUDIO_FEATURES:
        return
    t = np.arange(settings.sample_rate, dtype=np.float32) / settings.sample_rate
    tone = 0.3 * np.sin(2 * np.pi * (150 + 50 * t) * t) + 0.01 * np.cos(2 * np.pi * 3000 * t)
    audio_features_of_samples(tone.astype(np.float32), settings)
    mfcc_of_samples(tone.astype(np.float32), settings)  # fusion reads MFCCs whatever the audio models read
    _COMPILED_AUDIO_FEATURES.add(settings.audio_features)


def extract_mfcc_job(path: Path, settings: FeatureSettings) -> np.ndarray:
    """Picklable worker: :func:`extract_mfcc` of one file."""
    return extract_mfcc(path, settings)


def extract_audio_features(path: str | Path, settings: FeatureSettings) -> np.ndarray:
    """The audio features ``settings.audio_features`` names, of one file.

    Returns
    -------
    np.ndarray, shape ``settings.audio_shape``, float32
    """
    samples = load_audio_samples(path, settings.sample_rate, settings.playback_speed)
    return audio_features_of_samples(samples, settings)


def audio_features_of_samples(samples: np.ndarray, settings: FeatureSettings) -> np.ndarray:
    """:func:`extract_audio_features` of decoded audio (mono float32 at ``settings.sample_rate``)."""
    if settings.audio_features == "functionals":
        from audio_functionals import functionals_of_samples

        return functionals_of_samples(samples, settings)
    return mfcc_of_samples(samples, settings)


def extract_audio_job(path: Path, settings: FeatureSettings) -> np.ndarray:
    """Picklable worker: :func:`extract_audio_features` of one file."""
    return extract_audio_features(path, settings)


def sample_frames_job(path: Path, settings: FeatureSettings) -> np.ndarray:
    """Picklable worker: the frames of one file as the settings say (count, size, face crop or not)."""
    from video_features import sample_face_frames

    crop = "face" if settings.face_crop else "none"
    return sample_face_frames(path, settings.video_frames, settings.video_size, crop=crop)[0]


def _check_choice(name: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")


# --------------------------------------------------------------------------- CLI


def add_data_dir_argument(parser: argparse.ArgumentParser) -> None:
    """``--data-dir``: the organized folder, as every pipeline step after organize reads it."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path("data/organized"),
        help="folder with manifest.csv, written by organize_data.py (default %(default)s)",
    )


def add_feature_arguments(parser: argparse.ArgumentParser) -> None:
    """The feature options shared by ``data_loader.py`` and ``train_models.py``.

    Every default is None, meaning "as :func:`settings_from_args` is told" (the seed's
    settings, or a preset's), so an option the user gives always wins.
    """
    defaults = FeatureSettings()
    group = parser.add_argument_group("features")
    group.add_argument("--sample-rate", type=int, help=f"audio rate in Hz (default {defaults.sample_rate})")
    group.add_argument(
        "--audio-features",
        choices=AUDIO_FEATURES,
        help="audio model input: the MFCC image, or utterance functionals (statistics of MFCC, log-mel, "
        f"pitch, loudness and spectral contours; see audio_functionals.py) (default {defaults.audio_features})",
    )
    group.add_argument(
        "--speaker-norm",
        action=argparse.BooleanOptionalAction,
        help="standardise audio functionals within each actor's own recordings (no labels used) "
        "(default: off)",
    )
    group.add_argument("--n-mfcc", type=int, help=f"MFCC coefficients (default {defaults.n_mfcc})")
    group.add_argument(
        "--max-frames", type=int, help=f"MFCC frames per clip, padded or cut (default {defaults.max_frames})"
    )
    group.add_argument(
        "--video-frames", type=int, help=f"frames sampled per clip (default {defaults.video_frames})"
    )
    group.add_argument(
        "--video-size",
        type=int,
        help=f"frames are resized to SIZE x SIZE pixels (default {defaults.video_size[0]})",
    )
    group.add_argument(
        "--face-crop",
        action=argparse.BooleanOptionalAction,
        help="crop video frames to the face (Haar cascade; centre square when none is found) "
        "before resizing (default: on)",
    )
    group.add_argument(
        "--cache-dir", type=Path, default=None, help="feature cache folder (default: DATA_DIR/../features)"
    )
    group.add_argument(
        "--jobs", type=int, default=None, help="worker processes for extraction (default: all cores)"
    )


def settings_from_args(args: argparse.Namespace, defaults: FeatureSettings | None = None) -> FeatureSettings:
    """The options of :func:`add_feature_arguments` given on the command line, over ``defaults``.

    Raises
    ------
    ValueError
        When the combination is invalid (say ``--speaker-norm`` with MFCC images).
    """
    given = {
        "sample_rate": args.sample_rate,
        "audio_features": args.audio_features,
        "speaker_norm": args.speaker_norm,
        "n_mfcc": args.n_mfcc,
        "max_frames": args.max_frames,
        "video_frames": args.video_frames,
        "video_size": None if args.video_size is None else (args.video_size, args.video_size),
        "face_crop": args.face_crop,
    }
    base = (defaults or FeatureSettings()).to_dict()
    return FeatureSettings.from_dict({**base, **{k: v for k, v in given.items() if v is not None}})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Extract and cache model features (MFCCs, video frames) from an organized RAVDESS folder.",
    )
    add_data_dir_argument(parser)
    parser.add_argument(
        "--kinds",
        default="audio,video,fusion",
        help="comma-separated: audio, video, fusion (default %(default)s)",
    )
    parser.add_argument(
        "--channels", default="speech,song", help="comma-separated: speech, song (default %(default)s)"
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help=(
            "exit 2 if any file cannot be used (undecodable, truncated, silent or black, or a take without "
            "its audio-video clip for fusion) instead of leaving it out (default: off, such files are "
            "reported and counted)"
        ),
    )
    add_feature_arguments(parser)
    args = parser.parse_args(argv)
    loader = None
    try:
        loader = RAVDESSDataLoader(
            args.data_dir,
            settings_from_args(args),
            cache_dir=args.cache_dir,
            n_jobs=args.jobs,
            strict=args.strict,
        )
        for kind in args.kinds.split(","):
            for channel in args.channels.split(","):
                rows = loader.select(kind, channel)
                if rows.empty:
                    print(f"{kind:6s} {channel:6s}: no files, skipped")
                    continue
                if kind == "audio":
                    _, y, _ = loader._cached(kind, channel)
                    where = loader.cache_path(kind, channel)
                else:  # frames go to the streaming cache, one file per clip
                    clips, y, _ = loader.video_cache(kind, channel)
                    where = clips.folder
                counts = np.bincount(y, minlength=len(EMOTIONS))
                print(f"{kind:6s} {channel:6s}: {len(y)} samples -> {where}  per emotion {counts.tolist()}")
    except (OSError, ValueError, MediaError, WorkerCrashError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        if loader is not None:
            print(f"{len(loader.skipped)} files skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
