"""What the web page asks of a model: predict one recording, enroll a speaker, list who is enrolled.

Nothing here knows HTTP. Every refusal is a :class:`RequestError` with a message for a
person and an HTTP status, so the page never shows a traceback. Uploads are written to a
temporary folder that is removed after each request; enrollments go to the enrollment
folder only, as ``predict.py --save-enrollment`` writes them, under names that cannot
leave it (:data:`SPEAKER_NAME`).
"""

from __future__ import annotations

import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ravdess_emotion.core.errors import MediaError
from ravdess_emotion.features.audio import load_audio_samples
from ravdess_emotion.prediction.enrollments import enrolled_speakers, read_enrollments, save_enrollments
from ravdess_emotion.prediction.predictor import Predictor

SPEAKER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
"""An enrollment's name: letters, digits, ``_`` and ``-``, at most 40; no path can be made of it."""
CHECK_RATE = 16000
"""The rate an upload is decoded at to check its length (the decoder's cost, not the model's)."""


class RequestError(ValueError):
    """A request the service refuses: ``message`` is for the person, ``status`` the HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Limits:
    """What one upload may be.

    Attributes
    ----------
    max_bytes : int
        Largest file accepted, in bytes.
    max_seconds : float
        Longest recording accepted, in seconds.
    max_files : int
        Most recordings in one enrollment.
    """

    max_bytes: int = 10 * 1024 * 1024
    max_seconds: float = 60.0
    max_files: int = 40


class EmotionService:
    """One loaded model, served to the page: its emotions, predictions and enrollments.

    Parameters
    ----------
    predictor : Predictor
        The model, as ``predict.py`` loads it.
    model_name : str
        How the page names it.
    enroll_dir : Path
        Where enrollments are stored and read (``predict.py --enroll DIR`` reads them).
    limits : Limits
    """

    def __init__(
        self, predictor: Predictor, model_name: str, enroll_dir: Path, limits: Limits | None = None
    ) -> None:
        if not predictor.anchor.reads_audio:
            raise ValueError(f"{model_name} is a {predictor.kind} model; the page serves audio models only")
        self.predictor = predictor
        self.model_name = model_name
        self.enroll_dir = Path(enroll_dir)
        self.limits = limits or Limits()
        # Keras models are not safe to call from several threads at once, and requests
        # arrive on the server's worker threads: one prediction at a time.
        self._lock = threading.Lock()

    # -- what the page shows

    def info(self) -> dict[str, Any]:
        """The model's name, emotions, ways of meeting a speaker, limits and enrolled speakers."""
        return {
            "model": self.model_name,
            "emotions": self.predictor.emotions,
            "ways": list(self.predictor.ways),
            "enrollable": bool(self.predictor.enrollable),
            "alone": not self.predictor.ways or "independent" in self.predictor.ways,
            "speakers": self.speakers(),
            "max_seconds": self.limits.max_seconds,
            "max_megabytes": round(self.limits.max_bytes / 2**20, 1),
        }

    def speakers(self) -> list[str]:
        """The names of the speakers enrolled in the enrollment folder (for every input of the model)."""
        if not self.enroll_dir.is_dir() or not self.predictor.enrollable:
            return []
        names = {path.stem for path in self.enroll_dir.rglob("*.npz")}
        return sorted(name for name in names if SPEAKER_NAME.match(name))

    # -- predicting

    def predict(self, data: bytes, filename: str, speaker: str | None = None) -> dict[str, Any]:
        """The emotion of one uploaded recording, alone or as the enrolled ``speaker``.

        Returns
        -------
        dict
            ``predicted``, ``probabilities`` (emotion -> probability), ``duration_s``,
            ``speaker_path`` (``alone`` for a model that meets nobody, else ``independent``
            or ``enrollment``) and, for an enrolled speaker, ``alone``: the probabilities
            of the same recording met alone, to show what the enrollment changed.

        Raises
        ------
        RequestError
            For an empty, oversized, undecodable, too long, too short or voiceless
            recording, an unknown speaker, or a model that cannot meet one recording alone.
        """
        if speaker:
            self._check_name(speaker)
            if speaker not in self.speakers():
                raise RequestError(f"nobody is enrolled as {speaker!r}: enroll them first", 404)
        with tempfile.TemporaryDirectory(prefix="ravdess-serve-") as folder:
            path = self._stored_upload(Path(folder), data, filename, "recording")
            with self._lock:
                enrollments = None
                if speaker:
                    enrollments, _ = read_enrollments(self.predictor, [self.enroll_dir])
                result = self._predicted(path, enrollments, speaker)
                if speaker:
                    result["alone"] = self._predicted(path, None, None)["probabilities"]
        return result

    def _predicted(self, path: Path, enrollments: Any, speaker: str | None) -> dict[str, Any]:
        grouping = "auto" if speaker else "none"
        if not self.predictor.ways:
            grouping = "auto"
        try:
            table, problems = self.predictor.predict_files(
                [path], grouping, True, enrollments, speaker=speaker
            )
        except ValueError as error:
            raise RequestError(str(error), 422) from None
        if table.empty:
            reason = problems[0] if problems else "it could not be predicted"
            raise RequestError(_without_path(reason, path), 422)
        row = table.iloc[0]
        return {
            "predicted": str(row["predicted"]),
            "probabilities": {e: round(float(row[e]), 4) for e in self.predictor.emotions},
            "duration_s": float(row["duration_s"]),
            "speaker_path": str(row["speaker_path"]) if "speaker_path" in row else "alone",
        }

    # -- enrolling

    def enroll(self, name: str, recordings: list[tuple[str, bytes]]) -> dict[str, Any]:
        """Store the enrollment of ``name`` from unlabeled recordings, replacing an earlier one of that name.

        Returns
        -------
        dict
            ``speaker``, ``recordings`` (how many were used) and ``skipped`` (a message
            for each recording that was not).

        Raises
        ------
        RequestError
            For a name that is not :data:`SPEAKER_NAME`, a model that takes no
            enrollment, no recordings, too many, or none usable.
        """
        self._check_name(name)
        if not self.predictor.enrollable:
            raise RequestError(
                f"{self.model_name} does not standardise per speaker, so it takes no enrollment"
            )
        if not recordings:
            raise RequestError("no recordings: record or upload a few sentences in your everyday voice")
        if len(recordings) > self.limits.max_files:
            raise RequestError(
                f"{len(recordings)} recordings; at most {self.limits.max_files} in one enrollment"
            )
        with tempfile.TemporaryDirectory(prefix="ravdess-enroll-") as folder:
            speaker_folder = Path(folder) / name  # enrollments know a speaker by the folder's name
            speaker_folder.mkdir()
            skipped, stored = [], []
            for index, (filename, data) in enumerate(recordings, 1):
                try:
                    stored.append(
                        self._stored_upload(speaker_folder, data, filename, f"recording{index:02d}")
                    )
                except RequestError as error:
                    skipped.append(f"recording {index} ({filename}): {error}")
            if not stored:
                raise RequestError("none of the recordings could be used: " + "; ".join(skipped), 422)
            with self._lock:
                enrollments, problems = read_enrollments(self.predictor, [speaker_folder])
                skipped += [_without_path(p, speaker_folder) for p in problems]
                if name not in enrolled_speakers(enrollments):
                    raise RequestError("none of the recordings could be used: " + "; ".join(skipped), 422)
                saved = save_enrollments(enrollments, self.enroll_dir)
        used = max(count for speaker, count, _ in saved if speaker == name)
        return {"speaker": name, "recordings": used, "skipped": skipped}

    # -- checks

    def _check_name(self, name: str) -> None:
        if not SPEAKER_NAME.match(name):
            raise RequestError(
                f"{name!r} cannot name a speaker: use 1-40 letters, digits, '_' or '-', starting with a letter or digit"
            )

    def _stored_upload(self, folder: Path, data: bytes, filename: str, stem: str) -> Path:
        """``data`` written to ``folder`` under ``stem`` and the upload's extension, once it is known to be usable."""
        if not data:
            raise RequestError("the recording is empty: record again, or choose another file")
        if len(data) > self.limits.max_bytes:
            raise RequestError(
                f"the file is {len(data) / 2**20:.1f} MB; at most {self.limits.max_bytes / 2**20:.1f} MB", 413
            )
        suffix = Path(filename or "").suffix.lower()
        if suffix not in self.predictor.extensions:
            raise RequestError(
                f"{filename or 'the file'}: not a format this model reads ({', '.join(self.predictor.extensions)})",
                415,
            )
        path = folder / f"{stem}{suffix}"
        path.write_bytes(data)
        try:
            samples = load_audio_samples(path, CHECK_RATE)
        except MediaError as error:
            raise RequestError(_without_path(str(error), path), 422) from None
        if (seconds := samples.size / CHECK_RATE) > self.limits.max_seconds:
            raise RequestError(
                f"the recording lasts {seconds:.0f} s; at most {self.limits.max_seconds:g} s", 413
            )
        return path


def _without_path(message: str, path: Path) -> str:
    """A message of the predictor without the temporary path it names (the person knows which file they sent)."""
    return message.replace(f"{path}/", "").replace(f"{path}: ", "").replace(str(path), "the recording")
