"""Stored enrollments: a speaker's unlabeled recordings, as raw features, kept to standardise their later recordings.

``predict.py --enroll`` computes them, ``--save-enrollment`` stores one small ``.npz``
per speaker (:meth:`Enrollment.save`), and ``--enroll`` takes that file back instead of
the audio. An enrollment records the feature settings it was computed with, the
``settings_fields`` of its view (``ravdess_emotion.features.views``), so that it is
never used with a model whose features differ.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ravdess_emotion.core.files import write_atomically
from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.views import FeatureView


@dataclass(frozen=True)
class Enrollment:
    """A speaker's enrollment: the raw features of their unlabeled recordings, and what they were computed with."""

    speaker: str
    features: np.ndarray
    """(k, ...) as the view stores one file's features; raw (before any standardisation)."""
    settings: dict[str, Any]
    """The settings of the view's ``settings_fields`` they were computed with."""
    sources: tuple[str, ...] = ()
    """The recordings, for the record."""

    @classmethod
    def of_recordings(
        cls,
        speaker: str,
        features: np.ndarray,
        view: FeatureView,
        settings: FeatureSettings,
        sources: Sequence[str] = (),
    ) -> Enrollment:
        return cls(speaker, np.asarray(features, np.float32), view.key_settings(settings), tuple(sources))

    def save(self, folder: str | Path) -> Path:
        """Write ``<folder>/<speaker>.npz`` atomically and return its path."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{safe_file_stem(self.speaker)}.npz"
        description = {"speaker": self.speaker, "settings": self.settings, "sources": list(self.sources)}
        text = np.array(json.dumps(description))
        write_atomically(path, lambda stream: np.savez(stream, features=self.features, description=text))
        return path

    @classmethod
    def load(cls, path: str | Path) -> Enrollment:
        """Read a file :meth:`save` wrote. Raises ``ValueError`` naming the file when it is not one."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as stored:
                features = np.asarray(stored["features"], np.float32)
                description = json.loads(str(stored["description"]))
            return cls(
                str(description["speaker"]),
                features,
                dict(description["settings"]),
                tuple(description["sources"]),
            )
        except (OSError, KeyError, ValueError, TypeError) as error:
            raise ValueError(f"{path}: not an enrollment file written by predict.py ({error})") from None

    def fits(self, view: FeatureView, settings: FeatureSettings) -> bool:
        """Whether these features were computed as ``view`` computes them under ``settings``."""
        return self.settings == view.key_settings(settings)

    def check_settings(self, view: FeatureView, settings: FeatureSettings, where: str) -> None:
        """Raise ``ValueError`` when this enrollment's features were computed otherwise than ``view`` under ``settings``."""
        wanted = view.key_settings(settings)
        differ = [
            f"{k} {self.settings.get(k)!r} (the model: {v!r})"
            for k, v in wanted.items()
            if self.settings.get(k) != v
        ]
        if differ:
            raise ValueError(
                f"{where}: enrolled with other feature settings than this model's ({', '.join(differ)}); "
                "enroll again from the recordings with this model"
            )
        if self.features.ndim not in (2, 3) or len(self.features) == 0:
            raise ValueError(f"{where}: holds no recordings")


def safe_file_stem(name: str) -> str:
    """``name`` as a file name: letters, digits, ``-``, ``_`` and ``.``; anything else becomes ``_``."""
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip(".")
    return stem or "speaker"
