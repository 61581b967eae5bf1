"""The one frame store: sampled frames of every clip on disk, one uint8 ``.npy`` per clip.

Video and fusion models read the same frames (RAVDESS's 01 and 02 files of a take hold
the same picture), so both read this one store, whether they stream batches from it
(``ravdess_emotion.batches.VideoBatches``) or load a whole dataset into memory
(``RAVDESSDataLoader.load_video_dataset``).

- :class:`FrameCache` is a folder of one ``.npy`` per clip, named by the clip's sha256
  and a hash of the frame settings, each written atomically
  (``ravdess_emotion.core.files``). :meth:`FrameCache.ensure` extracts only the clips
  whose file is missing, in parallel over all cores with a progress bar: an
  interrupted run resumes where it stopped.
- ``ravdess_emotion.features.clips.ClipSet`` lists the files of a dataset, row for row.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import joblib
import numpy as np
from tqdm.auto import tqdm

from ravdess_emotion.core.files import TEMPORARY_SUFFIX, available_cores, file_sha256, write_atomically
from ravdess_emotion.corpus.media import MediaError
from ravdess_emotion.features.settings import FEATURE_VERSION, FeatureSettings
from ravdess_emotion.features.video import ShortClipWarning, sample_face_frames


class FrameCache:
    """A folder of extracted frames: one uint8 ``.npy`` (frames, height, width, 3) per clip.

    A file is named ``<clip sha256[:24]>-<settings hash>.npy``: the same clip with the
    same frame settings (count, size, face crop, ``FEATURE_VERSION``) is extracted once,
    whatever its path, and other settings never read a stale file. Beside it,
    ``<same>.json`` holds the extraction ``info`` (face found, box, padded).

    Parameters
    ----------
    folder
        Where the files go (created on first use).
    settings
        Uses ``video_frames``, ``video_size`` and ``face_crop``.
    n_jobs
        Worker processes for :meth:`ensure`; default all cores.
    progress
        Show a progress bar while extracting.
    """

    def __init__(
        self,
        folder: str | Path,
        settings: FeatureSettings | None = None,
        n_jobs: int | None = None,
        progress: bool = True,
    ) -> None:
        self.folder = Path(folder)
        self.settings = settings or FeatureSettings()
        self.n_jobs = n_jobs or available_cores()
        self.progress = progress
        self.extracted: list[Path] = []
        """The clips the last :meth:`ensure` extracted (the others were already cached)."""
        self.failures: dict[Path, str] = {}
        """Clips the last :meth:`ensure` could not decode, with the reason."""

    @property
    def settings_key(self) -> str:
        source = {
            "version": FEATURE_VERSION,
            "video_frames": self.settings.video_frames,
            "video_size": list(self.settings.video_size),
            "face_crop": self.settings.face_crop,
        }
        return hashlib.sha256(json.dumps(source, sort_keys=True).encode()).hexdigest()[:12]

    def path_for(self, sha256: str) -> Path:
        """The cache file of the clip with this sha256."""
        return self.folder / f"{sha256[:24]}-{self.settings_key}.npy"

    @staticmethod
    def info(cache_file: str | Path) -> dict[str, object]:
        """The extraction info stored beside a cache file."""
        return json.loads(Path(cache_file).with_suffix(".json").read_text())

    def ensure(self, paths: Sequence[str | Path], sha256s: Sequence[str] | None = None) -> list[Path | None]:
        """The cache file of every clip, extracting the missing ones (in parallel, with a progress bar).

        Parameters
        ----------
        paths
            Video files.
        sha256s
            Their sha256 (the manifest has them); computed from the files when omitted.

        Returns
        -------
        One path per clip, or None for a clip that could not be decoded (reported on
        stderr and in :attr:`failures`; it is tried again next time).
        """
        paths = [Path(p) for p in paths]
        if sha256s is None:
            sha256s = [file_sha256(p) for p in paths]
        targets = [self.path_for(s) for s in sha256s]
        self.folder.mkdir(parents=True, exist_ok=True)
        self._remove_stale_temporaries()
        todo: dict[Path, Path] = {}
        queued: set[Path] = set()  # two paths with the same content are extracted once
        for path, target in zip(paths, targets, strict=True):
            if target not in queued and not target.exists():
                todo[path] = target
                queued.add(target)
        self.extracted, self.failures = list(todo), {}
        if todo:
            self._extract(todo)
        return [None if not t.exists() else t for t in targets]

    def _extract(self, todo: dict[Path, Path]) -> None:
        settings = self.settings
        crop = "face" if settings.face_crop else "none"
        threads = 1 if self.n_jobs > 1 else None
        runner = joblib.Parallel(n_jobs=min(self.n_jobs, len(todo)), return_as="generator_unordered")
        results = runner(
            joblib.delayed(_extract_to_cache)(
                path, target, settings.video_frames, settings.video_size, crop, threads
            )
            for path, target in todo.items()
        )
        padded, no_face = [], []
        what = f"frames{' (face crop)' if settings.face_crop else ''}"
        for path, outcome in tqdm(
            results, total=len(todo), desc=what, unit="clip", disable=not self.progress
        ):
            if isinstance(outcome, str):
                self.failures[path] = outcome
                print(f"skipped: {outcome}", file=sys.stderr)
                continue
            if outcome["padded"]:
                padded.append(path.name)
            if settings.face_crop and not outcome["face_found"]:
                no_face.append(path.name)
        if padded:
            print(
                f"{len(padded)} clip(s) had fewer than {settings.video_frames} frames; frames were repeated: "
                + ", ".join(sorted(padded)[:10]),
                file=sys.stderr,
            )
        if no_face:
            print(
                f"{len(no_face)} clip(s) with no face found: cropped to the centre instead: "
                + ", ".join(sorted(no_face)[:10]),
                file=sys.stderr,
            )

    def _remove_stale_temporaries(self, older_than_s: float = 3600.0) -> None:
        """Delete temporary files that a killed run left (old enough not to be another writer's)."""
        now = time.time()
        for temporary in self.folder.glob(f".*{TEMPORARY_SUFFIX}"):  # write_atomically's names
            try:
                if now - temporary.stat().st_mtime > older_than_s:
                    temporary.unlink()
            except FileNotFoundError:
                pass


def _extract_to_cache(
    path: Path, target: Path, n_frames: int, size: tuple[int, int], crop: str, threads: int | None
) -> tuple[Path, dict[str, object] | str]:
    """Worker: extract one clip and write its ``.json`` then its ``.npy``, each atomically.

    Returns the info, or the error message of a clip that cannot be decoded. Only this
    small result travels back to the parent; the frames go straight to disk.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ShortClipWarning)  # the parent reports them together
            frames, info = sample_face_frames(path, n_frames, size, crop=crop, decoder_threads=threads)
    except MediaError as error:
        return path, str(error)
    info = {"source": path.name, **info}
    write_atomically(target.with_suffix(".json"), lambda f: f.write(json.dumps(info, indent=1).encode()))
    write_atomically(target, lambda f: np.save(f, frames, allow_pickle=False))
    return path, info
