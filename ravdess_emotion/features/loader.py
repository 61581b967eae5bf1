"""The loader: model-ready features of an organized RAVDESS (or demo) folder, extracted in parallel and cached.

:class:`RAVDESSDataLoader` reads the manifest that ``organize_data.py`` writes
(``ravdess_emotion.corpus.organize``) and loads the features of the views a model reads
(``ravdess_emotion.features.views``): each view says which files it reads and how to
extract them; the loader runs the extraction in worker processes with a progress bar
and caches the result on disk: one ``.npz`` per view and dataset
(``ravdess_emotion.features.caches``), or, for video frames, the one frame store
(``ravdess_emotion.features.frames``). A cache's name carries a hash of every setting its
view depends on and of the exact input files, so changing a setting or the data builds a
new cache instead of silently reusing a stale one. The views of a model that reads
several (audio and frames, audio and action units) are paired by take.
``data_loader.py`` shows its use.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ravdess_emotion.core.errors import MediaError
from ravdess_emotion.core.files import available_cores
from ravdess_emotion.core.ravdess import CHANNELS, is_synthetic
from ravdess_emotion.corpus.organize import DEFAULT_DEST, read_manifest
from ravdess_emotion.features.caches import (
    CacheError,
    cache_key,
    cache_path,
    load_features,
    load_meta,
    save_features,
)
from ravdess_emotion.features.clips import ClipSet, scale_frames
from ravdess_emotion.features.extraction import extract_files
from ravdess_emotion.features.frames import FrameCache
from ravdess_emotion.features.settings import SEED_SETTING_NAMES, FeatureSettings, check_choice
from ravdess_emotion.features.speakers import standardize_within_speakers
from ravdess_emotion.features.views import (
    MODEL_KINDS,
    FeatureView,
    kind_views,
    registered_views,
    resolve_views,
)

Inputs = np.ndarray | ClipSet | tuple[np.ndarray, ...]
"""What :meth:`RAVDESSDataLoader.load_views` returns for a model: one array, a clip set, or one array per view."""


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

    def views_of(self, kind: str) -> list[FeatureView]:
        """The views a model of ``kind`` reads under this loader's settings (``ravdess_emotion.features.views.MODEL_KINDS``).

        Raises
        ------
        ValueError
            When ``kind`` is neither a model kind nor a registered view.
        """
        if kind not in MODEL_KINDS and kind not in registered_views():
            raise ValueError(
                f"kind must be one of {', '.join(MODEL_KINDS)} (or a feature view's name); got {kind!r}"
            )
        return resolve_views(kind_views(kind), self.settings)

    def channel_rows(self, channel: str) -> pd.DataFrame:
        """The manifest's rows of one channel (``speech`` or ``song``)."""
        check_choice("channel", channel, tuple(CHANNELS.values()))
        return self.manifest[self.manifest["channel"] == channel]

    def select(self, kind: str, channel: str) -> pd.DataFrame:
        """Rows of the manifest that feed one kind of model, sorted by file name.

        ``audio`` takes audio-only files; ``video`` one clip per take (video-only when
        present, else audio-video: both hold the same frames); ``fusion`` audio-video
        clips, each with ``audio_path`` set to its audio-only twin when that exists;
        ``au`` one face file per take (its per-frame tracking CSV when there is one, else
        its clip-table row); ``fusion_au`` those of the takes that also have an audio-only
        file, with ``audio_path`` set to it. Each view says which files it reads
        (``FeatureView.select``); a model of several views pairs them by take
        (:meth:`paired_rows`).
        """
        return self.rows_of(self.views_of(kind), channel)

    def rows_of(self, views: Sequence[FeatureView], channel: str) -> pd.DataFrame:
        """The rows a model reading ``views`` trains on: one view's own, or the paired takes of several."""
        rows = self.channel_rows(channel)
        chosen = views[0].select(rows) if len(views) == 1 else self.paired_rows(views, rows)
        return chosen.sort_values("filename").reset_index(drop=True)

    @staticmethod
    def paired_rows(views: Sequence[FeatureView], rows: pd.DataFrame) -> pd.DataFrame:
        """The takes of a model reading several views, one row each, with every other view's file of the take.

        The last view chooses the takes (``FeatureView.pair_rows``: audio-video clips for
        frames, face files for action units). Each other view adds ``<side>_path``
        (``audio_path``): its own file of the take, or, when it has none and can read
        it, the take's file itself (an audio-video clip's soundtrack); a take it cannot
        read at all is left out.
        """
        anchor = views[-1]
        chosen = anchor.pair_rows(rows).copy()
        for view in views[:-1]:
            own = view.select(rows).drop_duplicates("take").set_index("take")["path"]
            column = f"{view.side}_path"
            chosen[column] = chosen["take"].map(own)
            readable = chosen["path"].map(view.reads).astype(bool)
            chosen[column] = chosen[column].where(chosen[column].notna() | ~readable, chosen["path"])
            chosen = chosen.dropna(subset=[column])
        return chosen

    # -- public datasets

    def load_views(
        self,
        views: Sequence[FeatureView],
        channel: str,
        standardize: bool = True,
        label: str | None = None,
    ) -> tuple[Inputs, np.ndarray, pd.DataFrame]:
        """The features of every take a model reading ``views`` trains on, and their labels and rows.

        Each view's features come from its cache (extracted and cached when missing) and,
        with ``standardize``, are standardised within each actor's own recordings as the
        view's ``speaker_normalization`` says (``ravdess_emotion.features.speakers``); the
        cache keeps them raw. Several views are paired by take (:meth:`paired_rows`);
        takes with a side missing or unreadable are reported in ``skipped`` and left out.

        Parameters
        ----------
        views : sequence of FeatureView
            In the order of the model's inputs (:meth:`views_of`).
        label : str, optional
            How messages name the model (its kind); by default the views' names.

        Returns
        -------
        inputs : np.ndarray, ClipSet or tuple of np.ndarray
            One view: its array (n, *view.shape), or for a streamed view (frames) the
            :class:`~ravdess_emotion.features.clips.ClipSet` of its frame files. Several:
            one array per view, or, when the last is streamed, its clip set carrying the
            first view's features as ``audio``.
        y : np.ndarray, shape (n,), int64 class index
        info : pd.DataFrame, the manifest row of each sample
        """
        label = label or "+".join(view.name for view in views)
        if len(views) > 1:
            return self._paired(views, channel, standardize, label)
        view = views[0]
        if view.streamed:
            return self._streamed(view, channel, label)
        X, y, info = self._view_dataset(view, channel, label)
        if standardize:
            X = self._standardized(view, X, info)
        return X, y, info

    def load_audio_dataset(
        self, channel: str = "speech", return_info: bool = False, standardize: bool = True
    ):
        """Audio features of every audio-only file of a channel (the audio view of ``settings.audio_features``).

        With ``settings.speaker_norm`` (and ``standardize``) every feature (every MFCC
        coefficient) is standardised within each actor's own files
        (``ravdess_emotion.features.speakers.standardize_within_speakers``);
        the cache keeps them raw, and ``standardize=False`` returns them so
        (``ravdess_emotion.batches.SpeakerStandardizedCopies`` standardises them itself).

        Returns
        -------
        X : np.ndarray, float32, shape (n, n_mfcc, max_frames) for MFCCs, or
            (n, n_features) for functionals (the audio view's shape per file)
        y : np.ndarray, shape (n,), int64 class index (``EMOTIONS[y]`` is the name)
        info : pd.DataFrame, only with ``return_info``: the manifest row of each sample
        """
        X, y, info = self.load_views(self.views_of("audio"), channel, standardize, "audio")
        return (X, y, info) if return_info else (X, y)

    def load_speed_copies(
        self,
        view: FeatureView,
        channel: str,
        speeds: Sequence[float],
        info: pd.DataFrame,
        standardize: bool = True,
    ) -> list[np.ndarray]:
        """The features of ``view`` of the files in ``info`` played faster or slower: one array per speed.

        Speed perturbation for training (``train_models.py --speed-perturbation``): each
        copy is extracted and cached like the original (``FeatureSettings.playback_speed``)
        and, with ``standardize``, standardised per actor within its own copy, so that an
        actor at another speed counts as another speaker.

        Parameters
        ----------
        view : FeatureView
            An audio view.
        channel : str
        speeds : sequence of float
            Playback speeds, e.g. ``(0.9, 1.1)``.
        info : pd.DataFrame
            Rows of the original files (their ``path``), as :meth:`load_views` returned them.

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
            X, _, copy_info = loader.load_views([view], channel, standardize)
            self.skipped.extend(loader.skipped)
            position = pd.Index(copy_info["path"]).get_indexer(info["path"])
            if (position < 0).any():
                missing = info["path"][position < 0].tolist()
                raise MediaError(
                    f"{len(missing)} files decoded at normal speed but not at speed {speed}, e.g. {missing[0]}"
                )
            copies.append(X[position])
        return copies

    def load_audio_speed_copies(
        self, channel: str, speeds: Sequence[float], info: pd.DataFrame, standardize: bool = True
    ) -> list[np.ndarray]:
        """:meth:`load_speed_copies` of the audio view of ``settings.audio_features``."""
        return self.load_speed_copies(self.views_of("audio")[0], channel, speeds, info, standardize)

    def load_au_dataset(self, channel: str = "speech", return_info: bool = False):
        """Facial action-unit features of one face file per take of a channel (``select("au", ...)``).

        The features are standardised within each actor's own clips as
        ``settings.au_normalization`` says (``ravdess_emotion.features.speakers``); the
        cache keeps them raw.

        Returns
        -------
        X : np.ndarray, float32, shape (n, *shape of the face view)
            (n, 35) means, (n, 175) statistics or (n, au_frames, 35) sequences.
        y, info : as for :meth:`load_audio_dataset`
        """
        X, y, info = self.load_views(self.views_of("au"), channel, label="au")
        return (X, y, info) if return_info else (X, y)

    def load_audio_au_dataset(self, channel: str = "speech", return_info: bool = False):
        """Audio and action units of the same takes, for the ``fusion_au`` models.

        Each face file (``select("fusion_au", ...)``) is paired with the audio-only file
        of its take; a take with only one of them is reported in ``skipped`` and left
        out. Both sides are standardised per actor as their settings say.

        Returns
        -------
        (X_audio, X_au) : the audio and face views' features, row for row
        y, info : as for :meth:`load_audio_dataset`; ``info["audio_path"]`` is the audio file
        """
        X, y, info = self.load_views(self.views_of("fusion_au"), channel, label="fusion_au")
        return (X, y, info) if return_info else (X, y)

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
        views = self.views_of(kind)
        if not views[-1].streamed:
            raise ValueError(f"video_cache is for the models that read frames (video, fusion), got {kind!r}")
        return self.load_views(views, channel, label=kind)

    # -- caching

    def cache_path(self, kind: str, channel: str) -> Path:
        """Where the features of a single-view model of ``kind`` are cached for these settings and files.

        Video and fusion frames have no such file: they are in the frame store,
        ``<cache_dir>/frames`` (:meth:`video_cache`).
        """
        views = self.views_of(kind)
        if len(views) > 1 or views[0].streamed:
            raise ValueError(
                f"only the features of one view are cached as one file; {kind} frames are in "
                f"{self.cache_dir / 'frames'}"
            )
        return self._cache_location(views[0], self.rows_of(views, channel), channel)[1]

    def _cache_location(self, view: FeatureView, rows: pd.DataFrame, channel: str) -> tuple[str, Path]:
        """The key of the cache of ``view`` over ``rows``, and the file it names."""
        key = cache_key(view.cache_prefix, rows, view.cache_key_fields(self.settings))
        return key, cache_path(self.cache_dir, view.cache_prefix, channel, key)

    def _view_dataset(
        self, view: FeatureView, channel: str, label: str | None = None
    ) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        """The raw features of every file ``view`` reads in ``channel``, from their cache or extracted and cached.

        A cache is used only when the key stored inside it is this one; a broken or stale
        one is rebuilt. Everything left out is reported and added to ``skipped`` (also
        when replayed from the cache); with ``strict`` a :class:`MediaError` is raised.
        """
        label = label or view.cache_prefix
        first_skip = len(self.skipped)
        # One selection and key for both the cache's name and the key stored inside it.
        rows = self.rows_of([view], channel)
        key, path = self._cache_location(view, rows, channel)
        if path.exists():
            try:
                meta = load_meta(path)
                # Caches of the first audio version carry no key; their file name's hash is then the only check.
                stored = meta.get("key", key if view.cache_prefix == "audio" else None)
                if stored != key:
                    raise CacheError(f"{path}: written for other settings, files or feature version")
                X, y, info = load_features(path)
            except CacheError as error:
                print(f"{error}; rebuilding it", file=sys.stderr)
                path.unlink(missing_ok=True)
            else:
                self._report(json.loads(meta.get("skipped", "[]")))
                self._check_strict(label, channel, first_skip)
                return X, y, info
        rows = self._required(rows, label, channel)
        self._failures = []
        paths = [self.data_dir / p for p in rows["path"]]
        X, ok = self._parallel(view, paths, f"{view.label} {channel}")
        rows = rows[ok].reset_index(drop=True)
        y = rows["emotion_code"].to_numpy(dtype=np.int64) - 1
        save_features(path, X, y, rows, meta={"key": key, "skipped": json.dumps(self._failures)})
        self._check_strict(label, channel, first_skip)
        return X, y, rows

    def _standardized(self, view: FeatureView, X: np.ndarray, info: pd.DataFrame) -> np.ndarray:
        """``X`` standardised within each actor's recordings, as ``view`` says under these settings."""
        how = view.speaker_normalization(self.settings)
        return standardize_within_speakers(X, info["actor"].to_numpy(), how, view.layout)

    def _streamed(
        self, view: FeatureView, channel: str, label: str, rows: pd.DataFrame | None = None
    ) -> tuple[ClipSet, np.ndarray, pd.DataFrame]:
        """The frame-store files of ``view``'s clips (of ``rows``, by default all it reads), and their labels and rows."""
        first_skip = len(self.skipped)
        rows = self._required(self.rows_of([view], channel), label, channel) if rows is None else rows
        files, ok = self._frame_files(rows)
        if not ok.any():
            raise MediaError(f"none of the {len(rows)} {label} {channel} takes could be used")
        self._check_strict(label, channel, first_skip)
        kept = rows[ok].reset_index(drop=True)
        clips = ClipSet(
            [f for f, keep in zip(files, ok, strict=True) if keep], None, self.cache_dir / "frames"
        )
        return clips, kept["emotion_code"].to_numpy(dtype=np.int64) - 1, kept

    def _frame_files(self, rows: pd.DataFrame) -> tuple[list[Path | None], np.ndarray]:
        """The frame-store file of every clip of ``rows`` (extracting missing ones), and which exist."""
        cache = FrameCache(
            self.cache_dir / "frames", self.settings, n_jobs=self.n_jobs, progress=self.progress
        )
        files = cache.ensure([self.data_dir / p for p in rows["path"]], rows["sha256"].tolist())
        self._report(list(cache.failures.values()))
        return files, np.array([f is not None for f in files], dtype=bool)

    def _paired(
        self, views: Sequence[FeatureView], channel: str, standardize: bool, label: str
    ) -> tuple[Inputs, np.ndarray, pd.DataFrame]:
        """:meth:`load_views` of several views, paired by take (:meth:`paired_rows`).

        Frames of the takes are extracted first, then each other view's features; a take
        whose file of a view could not be read is left out with a message naming the side.
        """
        anchor, companions = views[-1], list(views[:-1])
        first_skip = len(self.skipped)
        self._report(self._unpaired_takes(views, channel, label))
        rows = self._required(self.rows_of(views, channel), label, channel)
        failed: dict[str, np.ndarray] = {}
        if anchor.streamed:
            # Each take's own clip of the anchor view: a video-only file holds the same frames.
            own = anchor.select(self.channel_rows(channel)).drop_duplicates("take").set_index("take")
            files, anchor_ok = self._frame_files(own.loc[rows["take"]].reset_index())
        companion_features, reported = [], np.zeros(len(rows), dtype=bool)
        for view in companions:
            features, found, noted = self._companion(view, rows, channel, standardize)
            companion_features.append(features)
            failed[view.side] = ~found
            reported |= noted
        if not anchor.streamed:
            X, _, info = self._view_dataset(anchor, channel)
            X = self._standardized(anchor, X, info) if standardize else X
            position = pd.Index(info["path"]).get_indexer(rows["path"])
            anchor_ok = position >= 0
            failed[anchor.side] = ~anchor_ok
        ok = anchor_ok & ~np.logical_or.reduce(list(failed.values()))
        # A side that failed without a message of its own yet (the frame store and the
        # soundtracks report theirs) is named here.
        self._report(
            [
                f"take {take}: its {side} file could not be read, skipped for fusion"
                for index, take in enumerate(rows["take"])
                if not reported[index]
                and (side := next((s for s, bad in failed.items() if bad[index]), None)) is not None
            ]
        )
        if not ok.any():
            raise MediaError(f"none of the {len(rows)} {label} {channel} takes could be used")
        self._check_strict(label, channel, first_skip)
        kept = rows[ok].reset_index(drop=True)
        y = kept["emotion_code"].to_numpy(dtype=np.int64) - 1
        if anchor.streamed:
            if len(companions) != 1:
                raise ValueError("a model streaming frames pairs them with exactly one other view")
            kept_files = [f for f, keep in zip(files, ok, strict=True) if keep]
            return ClipSet(kept_files, companion_features[0][ok], self.cache_dir / "frames"), y, kept
        return (*(features[ok] for features in companion_features), X[position[ok]]), y, kept

    def _companion(
        self, view: FeatureView, rows: pd.DataFrame, channel: str, standardize: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The features of ``view`` for each paired take of ``rows``, whether found, and whether a failure was reported.

        Each take's own file of the view comes from the view's cache (standardised with
        all of the view's files when ``standardize``); a take without one, or whose file
        failed, falls back to the take's paired file itself when the view can read it
        (an audio-video clip's soundtrack) and its features need no standardisation.
        """
        column = f"{view.side}_path"
        features = np.zeros((len(rows), *view.shape(self.settings)), np.float32)
        has_own = (rows[column] != rows["path"]).to_numpy()
        found = np.zeros(len(rows), dtype=bool)
        if has_own.any():
            X, _, info = self._view_dataset(view, channel)
            X = self._standardized(view, X, info) if standardize else X
            position = pd.Index(info["path"]).get_indexer(rows[column])
            found = has_own & (position >= 0)
            features[found] = X[position[found]]
        fallback = ~found & rows["path"].map(view.reads).to_numpy(dtype=bool)
        if standardize and view.speaker_normalization(self.settings) != "none":
            fallback[:] = False  # a lone file cannot be standardised with the view's others
        missing = np.flatnonzero(fallback)
        if len(missing):
            paths = [self.data_dir / rows["path"].iat[i] for i in missing]
            notes = {
                path: f"take {rows['take'].iat[i]}: "
                + (f"its {view.file_description} failed" if has_own[i] else f"no {view.file_description}")
                + f", and {view.fallback_description} failed"
                for path, i in zip(paths, missing, strict=True)
            }
            try:
                X_own, own_ok = self._parallel(view, paths, f"{view.label} soundtracks {channel}", notes)
                features[missing[own_ok]], found[missing[own_ok]] = X_own, True
            except MediaError:
                pass  # each failure is already reported
        return features, found, fallback

    def _required(self, rows: pd.DataFrame, label: str, channel: str) -> pd.DataFrame:
        """``rows``, refusing an empty selection with what to do about it."""
        if rows.empty:
            raise ValueError(
                f"no {label} files for channel {channel!r} in {self.data_dir / 'manifest.csv'}; "
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

    def _check_strict(self, label: str, channel: str, first_skip: int) -> None:
        skipped = self.skipped[first_skip:]
        if self.strict and skipped:
            raise MediaError(f"strict: {len(skipped)} skipped for {label} {channel}: " + "; ".join(skipped))

    def _unpaired_takes(self, views: Sequence[FeatureView], channel: str, label: str) -> list[str]:
        """A message for each take one view of a paired model has and another lacks, sorted.

        A take of another view without the last view's pairing file (an audio-only take
        with no audio-video clip, or no face file), and a take of the last view that
        another view cannot read at all (a face file with no audio-only file).
        """
        rows = self.channel_rows(channel)
        anchor = views[-1]
        anchor_rows = anchor.pair_rows(rows).drop_duplicates("take")
        anchor_takes = set(anchor_rows["take"])
        messages = []
        for view in views[:-1]:
            own = view.select(rows).drop_duplicates("take")
            messages += [
                f"take {take} ({filename}): no {anchor.pair_description()}, skipped for {label}"
                for take, filename in zip(own["take"], own["filename"], strict=True)
                if take not in anchor_takes
            ]
            own_takes = set(own["take"])
            messages += [
                f"take {take} ({filename}): no {view.file_description}, skipped for {label}"
                for take, filename, path in zip(
                    anchor_rows["take"], anchor_rows["filename"], anchor_rows["path"], strict=True
                )
                if take not in own_takes and not view.reads(path)
            ]
        return sorted(messages)

    def _parallel(
        self,
        view: FeatureView,
        paths: list[Path],
        what: str,
        notes: dict[Path, str] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Extract ``view`` from ``paths`` on all workers; returns the stacked results and a mask of successes.

        Files go to the workers ``view.batch_size`` at a time. Each failure is reported
        (prefixed by its ``notes`` entry, if any) and kept for the cache. A view that
        decodes audio first compiles its numba code here (``FeatureView.warm_up``).
        """
        outputs = extract_files(view, paths, self.settings, self.n_jobs, self.progress, what)
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
