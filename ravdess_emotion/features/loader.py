"""The loader: model-ready features of an organized RAVDESS (or demo) folder, extracted in parallel and cached.

:class:`RAVDESSDataLoader` reads the manifest that ``organize_data.py`` writes
(``ravdess_emotion.corpus.organize``), extracts features in worker processes with a
progress bar, and caches them on disk: audio features as one ``.npz`` per dataset
(``ravdess_emotion.features.caches``), video frames in the one frame store
(``ravdess_emotion.features.frames``). A cache's name carries a hash of every feature
setting and of the exact input files, so changing a setting or the data builds a new
cache instead of silently reusing a stale one. ``data_loader.py`` shows its use.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import joblib
import librosa
import numpy as np
import pandas as pd
from joblib.externals.loky.process_executor import TerminatedWorkerError
from tqdm.auto import tqdm

from ravdess_emotion.core.errors import MediaError
from ravdess_emotion.core.files import available_cores
from ravdess_emotion.core.ravdess import CHANNELS, is_synthetic
from ravdess_emotion.corpus.organize import DEFAULT_DEST, read_manifest
from ravdess_emotion.features.action_units import au_features_job, speaker_normalize_units
from ravdess_emotion.features.audio import compile_audio_code, extract_audio_job, extract_mfcc_job
from ravdess_emotion.features.caches import (
    CacheError,
    cache_key,
    cache_path,
    load_features,
    load_meta,
    save_features,
)
from ravdess_emotion.features.clips import ClipSet, scale_frames
from ravdess_emotion.features.frames import FrameCache
from ravdess_emotion.features.settings import (
    KINDS,
    SEED_SETTING_NAMES,
    FeatureSettings,
    check_choice,
)
from ravdess_emotion.features.speakers import standardize_within_speakers


class WorkerCrashError(RuntimeError):
    """An extraction worker process died (a crash in native code); the message names the file."""


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
    manifest : pd.DataFrame, optional
        Rows of ``data_dir``'s manifest to use instead of all of it (a subset of files,
        say); by default the manifest is read from ``data_dir``.

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
        manifest: pd.DataFrame | None = None,
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
        self.n_jobs = n_jobs or available_cores()
        self.progress = progress
        self._manifest: pd.DataFrame | None = manifest

    @property
    def manifest(self) -> pd.DataFrame:
        """The organized files, one row each (see ``ravdess_emotion.corpus.organize.read_manifest``).

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
        clips, each with ``audio_path`` set to its audio-only twin when that exists;
        ``au`` one face file per take (its per-frame tracking CSV when there is one, else
        its clip-table row); ``fusion_au`` those of the takes that also have an audio-only
        file, with ``audio_path`` set to it.
        """
        check_choice("kind", kind, KINDS)
        check_choice("channel", channel, tuple(CHANNELS.values()))
        rows = self.manifest[self.manifest["channel"] == channel]
        audio = rows[rows["content"] == "audio"]
        video = rows[rows["content"] == "video"]
        if kind == "audio":
            chosen = audio.copy()
        elif kind == "video":
            chosen = video.sort_values("modality", ascending=False).drop_duplicates("take").copy()
        elif kind == "fusion":
            chosen = video[video["modality"] == 1].copy()
            twins = audio.drop_duplicates("take").set_index("take")["path"]
            chosen["audio_path"] = chosen["take"].map(twins).fillna(chosen["path"])
        else:
            faces = rows[rows["content"].isin(["tracking", "au_means"])]
            # Per-frame tracking gives every AU feature, a table row only the means; 01 before 02.
            order = faces.assign(_rank=(faces["content"] != "tracking").astype(int))
            chosen = order.sort_values(["_rank", "modality"]).drop_duplicates("take").drop(columns="_rank")
            if kind == "fusion_au":
                twins = audio.drop_duplicates("take").set_index("take")["path"]
                chosen = chosen.assign(audio_path=chosen["take"].map(twins)).dropna(subset=["audio_path"])
            chosen = chosen.copy()
        return chosen.sort_values("filename").reset_index(drop=True)

    # -- public datasets

    def load_audio_dataset(
        self, channel: str = "speech", return_info: bool = False, standardize: bool = True
    ):
        """Audio features of every audio-only file of a channel.

        With ``settings.speaker_norm`` (and ``standardize``) every feature (every MFCC
        coefficient) is standardised within each actor's own files
        (``ravdess_emotion.features.speakers.standardize_within_speakers``);
        the cache keeps them raw, and ``standardize=False`` returns them so
        (``ravdess_emotion.batches.SpeakerStandardizedCopies`` standardises them itself).

        Returns
        -------
        X : np.ndarray, float32, shape (n, n_mfcc, max_frames) for MFCCs, or
            (n, n_features) for functionals (``settings.audio_shape`` per file)
        y : np.ndarray, shape (n,), int64 class index (``EMOTIONS[y]`` is the name)
        info : pd.DataFrame, only with ``return_info``: the manifest row of each sample
        """
        X, y, info = self._cached_audio(channel)
        if self.settings.speaker_norm and standardize:
            X = standardize_within_speakers(X, info["actor"].to_numpy())
        return (X, y, info) if return_info else (X, y)

    def load_audio_speed_copies(
        self, channel: str, speeds: Sequence[float], info: pd.DataFrame, standardize: bool = True
    ) -> list[np.ndarray]:
        """The audio features of the files in ``info`` played faster or slower: one array per speed.

        Speed perturbation for training (``train_models.py --speed-perturbation``): each
        copy is extracted and cached like the original (``FeatureSettings.playback_speed``)
        and, with ``settings.speaker_norm`` (and ``standardize``), standardised per actor
        within its own copy, so that an actor at another speed counts as another speaker.

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
                manifest=self._manifest,
            )
            X, _, copy_info = loader.load_audio_dataset(channel, return_info=True, standardize=standardize)
            self.skipped.extend(loader.skipped)
            position = pd.Index(copy_info["path"]).get_indexer(info["path"])
            if (position < 0).any():
                missing = info["path"][position < 0].tolist()
                raise MediaError(
                    f"{len(missing)} files decoded at normal speed but not at speed {speed}, e.g. {missing[0]}"
                )
            copies.append(X[position])
        return copies

    def load_au_dataset(self, channel: str = "speech", return_info: bool = False):
        """Facial action-unit features of one face file per take of a channel (``select("au", ...)``).

        The features are standardised within each actor's own clips as
        ``settings.au_normalization`` says (``ravdess_emotion.features.action_units.speaker_normalize_units``);
        the cache keeps them raw.

        Returns
        -------
        X : np.ndarray, float32, shape (n, *settings.au_shape)
            (n, 35) means, (n, 175) statistics or (n, au_frames, 35) sequences.
        y, info : as for :meth:`load_audio_dataset`
        """
        X, y, info = self._cached_au(channel)
        X = speaker_normalize_units(X, info["actor"].to_numpy(), self.settings.au_normalization)
        return (X, y, info) if return_info else (X, y)

    def load_audio_au_dataset(self, channel: str = "speech", return_info: bool = False):
        """Audio and action units of the same takes, for the ``fusion_au`` models.

        Each face file (``select("fusion_au", ...)``) is paired with the audio-only file
        of its take; a take with only one of them is reported in ``skipped`` and left
        out. Both sides are standardised per actor as their settings say.

        Returns
        -------
        (X_audio, X_au) : shapes (n, *settings.audio_shape) and (n, *settings.au_shape)
        y, info : as for :meth:`load_audio_dataset`; ``info["audio_path"]`` is the audio file
        """
        first_skip = len(self.skipped)
        self._report(self._takes_missing_a_side(channel))
        rows = self._required_rows("fusion_au", channel)
        X_audio, _, audio_info = self.load_audio_dataset(channel, return_info=True)
        X_au, _, au_info = self.load_au_dataset(channel, return_info=True)
        audio_at = pd.Index(audio_info["path"]).get_indexer(rows["audio_path"])
        au_at = pd.Index(au_info["path"]).get_indexer(rows["path"])
        ok = (audio_at >= 0) & (au_at >= 0)
        self._report(
            [
                f"take {take}: its {'audio' if a < 0 else 'face'} file could not be read, skipped for fusion"
                for take, a, f in zip(rows["take"], audio_at, au_at, strict=True)
                if a < 0 or f < 0
            ]
        )
        if not ok.any():
            raise MediaError(f"none of the {len(rows)} fusion_au {channel} takes could be used")
        self._check_strict("fusion_au", channel, first_skip)
        kept = rows[ok].reset_index(drop=True)
        X = (X_audio[audio_at[ok]], X_au[au_at[ok]])
        y = kept["emotion_code"].to_numpy(dtype=np.int64) - 1
        return (X, y, kept) if return_info else (X, y)

    def load_video_dataset(self, channel: str = "speech", return_info: bool = False, scale: bool = True):
        """Sampled frames of one clip per take of a channel, all in memory (from the frame store).

        Returns
        -------
        X : np.ndarray, shape (n, video_frames, height, width, 3)
            float32 in [0, 1] (``scale=True``) or the stored uint8 (``scale=False``).
        y, info : as for :meth:`load_audio_dataset`
        """
        clips, y, info = self.video_cache("video", channel)
        X = clips.load_frames()
        X = scale_frames(X) if scale else X
        return (X, y, info) if return_info else (X, y)

    def load_multimodal_dataset(self, channel: str = "speech", return_info: bool = False, scale: bool = True):
        """Audio and video of the same takes, for the fusion model, all in memory.

        Each audio-video clip is paired with the audio-only file of the same take;
        when that is absent, the clip's own soundtrack is decoded (see :meth:`video_cache`).

        Returns
        -------
        (X_audio, X_video) : shapes (n, n_mfcc, max_frames) and (n, frames, h, w, 3)
        y, info : as for :meth:`load_audio_dataset`
        """
        clips, y, info = self.video_cache("fusion", channel)
        X_video = clips.load_frames()
        X_video = scale_frames(X_video) if scale else X_video
        return ((clips.audio, X_video), y, info) if return_info else ((clips.audio, X_video), y)

    def video_cache(self, kind: str = "video", channel: str = "speech"):
        """Frames of every clip of ``kind`` ("video" or "fusion") in the on-disk frame cache, for streaming.

        Fills ``<cache_dir>/frames`` (one uint8 ``.npy`` per clip, extracting only missing
        clips) and returns what ``ravdess_emotion.batches.VideoBatches`` reads, without
        loading frames.

        Video takes one clip per take (``select("video", ...)``). Fusion takes the
        audio-video clips (``select("fusion", ...)``), pairs each with the MFCCs of its
        take's audio-only twin (from the audio model's own cache; the clip's soundtrack
        when there is no twin), and reads the take's frames from the same cache file as the
        video model (RAVDESS's 01 and 02 files hold the same frames), so the two never
        extract a take twice. Clips or audio that fail are reported in ``skipped`` and left
        out (``strict`` raises instead).

        Returns
        -------
        clips : ravdess_emotion.features.clips.ClipSet
            The cache files (and, for fusion, the MFCCs of each take's audio), row for row.
        y, info : as for :meth:`load_audio_dataset`
        """
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
            has_twin = (rows["audio_path"] != rows["path"]).to_numpy()
            if has_twin.any():
                X_audio, _, audio_info = self._cached_audio(channel)  # the audio model's MFCC cache
                position = pd.Index(audio_info["path"]).get_indexer(rows["audio_path"])
                found = has_twin & (position >= 0)
                audio[found] = X_audio[position[found]]
            if not found.all():  # no audio-only twin (or it failed): the clip's own soundtrack
                missing = np.flatnonzero(~found)
                paths = [self.data_dir / rows["path"].iat[i] for i in missing]
                notes = {
                    p: f"take {rows['take'].iat[i]}: "
                    + ("its audio-only file failed" if has_twin[i] else "no audio-only file")
                    + ", and the clip's soundtrack failed"
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
        """Where the audio features of ``channel`` are cached for these settings and files.

        Only ``kind="audio"`` has such a file: video and fusion frames are in the frame
        store, ``<cache_dir>/frames`` (:meth:`video_cache`).
        """
        if kind != "audio":
            raise ValueError(
                f"only audio features are cached as one file; {kind} frames are in {self.cache_dir / 'frames'}"
            )
        return cache_path(
            self.cache_dir, "audio", channel, cache_key("audio", self.select("audio", channel), self.settings)
        )

    def _cached_audio(self, channel: str) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        """Load the audio features of a channel from their cache, or extract and cache them.

        A broken or stale cache is rebuilt. Everything left out is reported and added to
        ``skipped``; with ``strict`` a :class:`MediaError` listing it is raised instead.
        """
        # One selection and key for both the cache's name and the key stored inside it.
        key = cache_key("audio", self.select("audio", channel), self.settings)
        what = "functionals" if self.settings.audio_features == "functionals" else "MFCC"
        path = cache_path(self.cache_dir, "audio", channel, key)
        return self._cached_features("audio", channel, key, path, extract_audio_job, what)

    def _cached_features(
        self,
        kind: str,
        channel: str,
        key_source: str,
        path: Path,
        job: Callable[[Path, FeatureSettings], np.ndarray],
        what: str,
    ) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        """The features of ``kind`` ("audio" or "au") from the cache at ``path``, or extracted with ``job`` and cached.

        A cache is used only when the key stored inside it is ``key_source``; a broken or
        stale one is rebuilt. Everything left out is reported and added to ``skipped``
        (also when replayed from the cache); with ``strict`` a :class:`MediaError` is raised.
        """
        first_skip = len(self.skipped)
        if path.exists():
            try:
                meta = load_meta(path)
                # Older audio caches carry no key; their file name's hash is then the only check.
                stored = meta.get("key", key_source) if kind == "audio" else meta.get("key")
                if stored != key_source:
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
        paths = [self.data_dir / p for p in rows["path"]]
        X, ok = self._parallel(job, paths, f"{what} {channel}", reads_audio=kind == "audio")
        rows = rows[ok].reset_index(drop=True)
        y = rows["emotion_code"].to_numpy(dtype=np.int64) - 1
        save_features(path, X, y, rows, meta={"key": key_source, "skipped": json.dumps(self._failures)})
        self._check_strict(kind, channel, first_skip)
        return X, y, rows

    def _cached_au(self, channel: str) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        """The raw AU features of a channel from their cache, or read and cached (as :meth:`_cached_audio`)."""
        key = cache_key("au", self.select("au", channel), self.settings)
        path = cache_path(self.cache_dir, "au", channel, key)
        return self._cached_features("au", channel, key, path, au_features_job, "action units")

    def _takes_missing_a_side(self, channel: str) -> list[str]:
        """A message for each take of ``channel`` with audio but no face file, or a face file but no audio."""
        rows = self.manifest[self.manifest["channel"] == channel]
        faces = rows[rows["content"].isin(["tracking", "au_means"])].drop_duplicates("take")
        audio = rows[rows["content"] == "audio"].drop_duplicates("take")
        face_takes, audio_takes = set(faces["take"]), set(audio["take"])
        messages = [
            f"take {take} ({filename}): no facial action units, skipped for fusion_au"
            for take, filename in zip(audio["take"], audio["filename"], strict=True)
            if take not in face_takes
        ]
        messages += [
            f"take {take} ({filename}): no audio-only file, skipped for fusion_au"
            for take, filename in zip(faces["take"], faces["filename"], strict=True)
            if take not in audio_takes
        ]
        return sorted(messages)

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
        clips = set(rows.loc[(rows["content"] == "video") & (rows["modality"] == 1), "take"])
        audio = rows[(rows["content"] == "audio") & ~rows["take"].isin(clips)].sort_values("filename")
        return [
            f"take {take} ({filename}): no audio-video clip, skipped for fusion"
            for take, filename in zip(audio["take"], audio["filename"], strict=True)
        ]

    def _parallel(
        self,
        job: Callable[[Path, FeatureSettings], np.ndarray],
        paths: list[Path],
        what: str,
        notes: dict[Path, str] | None = None,
        reads_audio: bool = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Run ``job`` over ``paths`` on all workers; returns the stacked results and a mask of successes.

        Each failure is reported (prefixed by its ``notes`` entry, if any) and kept for the cache.
        Audio jobs (``reads_audio``) first compile librosa's numba code here
        (:func:`compile_audio_code`); frames are extracted by the frame store.
        """
        if self.n_jobs > 1 and reads_audio:
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
