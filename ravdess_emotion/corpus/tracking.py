"""Facial action units as OpenFace writes them: per-frame tracking CSVs and clip-level AU tables.

RAVDESS publishes "RAVDESS Facial Landmark Tracking" (Zenodo record 3255102,
``FacialTracking_Actors_01-24.zip``): one OpenFace 2.1.0 CSV per audio-video trial,
named like the video (``01-01-03-02-01-01-12.csv``), one row per frame. Running
OpenFace's ``FeatureExtraction`` on a clip writes the same kind of file (with
``face``/``success`` columns and, in some versions, a space after each comma). Of its
columns this project reads the 35 action-unit outputs (:data:`AU_COLUMNS`: 17
intensities ``AU01_r`` … ``AU45_r``, 0-5, and 18 presences ``AU01_c`` … ``AU45_c``,
0/1), the tracker's ``confidence`` and ``success``, and ``frame``/``timestamp``.

A *clip table* (``ravdess_aus/openface_au_means.csv`` is one) has a ``name`` column of
RAVDESS stems and the 35 AU columns, one row per clip: the mean over its frames.

:func:`read_tracking` and :func:`read_au_table` check a file where it enters the
pipeline and raise :class:`~ravdess_emotion.core.errors.MediaError` naming the file
and the reason (no AU columns, no frames, no frame the tracker was confident about).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from ravdess_emotion.core.errors import MediaError
from ravdess_emotion.corpus.media import MediaInfo

AU_INTENSITY_UNITS = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 45)
AU_PRESENCE_UNITS = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 28, 45)
AU_INTENSITY_COLUMNS = tuple(f"AU{unit:02d}_r" for unit in AU_INTENSITY_UNITS)
AU_PRESENCE_COLUMNS = tuple(f"AU{unit:02d}_c" for unit in AU_PRESENCE_UNITS)
AU_COLUMNS: tuple[str, ...] = AU_INTENSITY_COLUMNS + AU_PRESENCE_COLUMNS
"""The 35 action-unit outputs of OpenFace 2, in the order of its CSVs."""

MIN_CONFIDENCE = 0.75
"""Frames tracked with less confidence (or ``success`` 0) are left out of every feature."""

TABLE_NAME_COLUMN = "name"
AU_MEANS_SUFFIX = ".au-means.csv"
"""How ``organize_data.py`` stores one row of a clip table: ``<RAVDESS stem>.au-means.csv``."""


@dataclass(frozen=True)
class Tracking:
    """The AU outputs of one clip's per-frame tracking CSV.

    Attributes
    ----------
    units : np.ndarray, shape (frames, 35), float32
        :data:`AU_COLUMNS` of every frame, in file order.
    confident : np.ndarray, shape (frames,), bool
        Frames tracked with ``confidence`` ≥ :data:`MIN_CONFIDENCE` (and ``success`` 1
        where the file has that column).
    timestamps : np.ndarray, shape (frames,), float64
        Seconds from the clip's start (``(frame - 1) / 29.97`` when the file has no
        ``timestamp`` column).
    """

    units: np.ndarray
    confident: np.ndarray
    timestamps: np.ndarray

    @property
    def fps(self) -> float | None:
        """Frames per second from the timestamps; None for fewer than two frames."""
        if len(self.timestamps) < 2 or self.timestamps[-1] <= self.timestamps[0]:
            return None
        return float((len(self.timestamps) - 1) / (self.timestamps[-1] - self.timestamps[0]))


_RAVDESS_FPS = 29.97


def _read_csv(source: str | Path | IO[bytes], label: str) -> pd.DataFrame:
    try:
        # skipinitialspace: OpenFace 2.0 writes ", " between columns, 2.1 (the RAVDESS release) ",".
        table = pd.read_csv(source, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise MediaError(f"{label}: empty file, no header and no frames") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
        raise MediaError(f"{label}: not a readable CSV ({' '.join(str(error).split())})") from None
    table.columns = [str(column).strip() for column in table.columns]
    return table


def _missing_units(table: pd.DataFrame) -> list[str]:
    return [column for column in AU_COLUMNS if column not in table.columns]


def _units_of(table: pd.DataFrame, label: str) -> np.ndarray:
    missing = _missing_units(table)
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise MediaError(
            f"{label}: missing action-unit columns {shown}: not an OpenFace AU file "
            "(run FeatureExtraction with its AU output, -aus, on)"
        )
    units = table[list(AU_COLUMNS)].apply(pd.to_numeric, errors="coerce").to_numpy(np.float32)
    return units


def read_tracking(source: str | Path | IO[bytes], label: str | None = None) -> Tracking:
    """Read and check one per-frame OpenFace tracking CSV.

    Parameters
    ----------
    source : path or binary file
    label : str, optional
        How messages name the file (default: ``source``).

    Raises
    ------
    MediaError
        When the file is empty or not a CSV, lacks an AU column, has no frames, or no
        frame was tracked with confidence (every frame failed).
    """
    label = label or str(source)
    table = _read_csv(source, label)
    units = _units_of(table, label)
    if len(table) == 0:
        raise MediaError(f"{label}: holds a header but no frames")
    confident = np.isfinite(units).all(axis=1)
    if "confidence" in table.columns:
        confidence = pd.to_numeric(table["confidence"], errors="coerce").to_numpy(np.float64)
        confident &= np.nan_to_num(confidence, nan=0.0) >= MIN_CONFIDENCE
    if "success" in table.columns:
        confident &= pd.to_numeric(table["success"], errors="coerce").to_numpy() == 1
    if not confident.any():
        raise MediaError(
            f"{label}: the tracker failed on all {len(table)} frames (no frame with confidence "
            f"≥ {MIN_CONFIDENCE} and success): no face to read"
        )
    if "timestamp" in table.columns:
        timestamps = pd.to_numeric(table["timestamp"], errors="coerce").to_numpy(np.float64)
    elif "frame" in table.columns:
        timestamps = (pd.to_numeric(table["frame"], errors="coerce").to_numpy(np.float64) - 1) / _RAVDESS_FPS
    else:
        timestamps = np.arange(len(table)) / _RAVDESS_FPS
    return Tracking(np.nan_to_num(units), confident, timestamps)


def read_au_table(source: str | Path | IO[bytes], label: str | None = None) -> pd.DataFrame:
    """Read and check a clip table: a ``name`` column of RAVDESS stems and the 35 AU columns.

    Returns
    -------
    pd.DataFrame
        ``name`` (str) and :data:`AU_COLUMNS` (float32), one row per clip, in file order.
        Names are not checked here: ``organize_data.py`` judges each like a file name.

    Raises
    ------
    MediaError
        When the file is not a CSV, has no ``name`` column, lacks an AU column, or has no rows.
    """
    label = label or str(source)
    table = _read_csv(source, label)
    if TABLE_NAME_COLUMN not in table.columns:
        raise MediaError(f"{label}: a clip table needs a {TABLE_NAME_COLUMN!r} column of RAVDESS names")
    units = _units_of(table, label)
    if len(table) == 0:
        raise MediaError(f"{label}: holds a header but no clips")
    result = pd.DataFrame(units, columns=list(AU_COLUMNS))
    result.insert(0, TABLE_NAME_COLUMN, table[TABLE_NAME_COLUMN].astype(str).str.strip().to_numpy())
    return result


def looks_like_au_table(header: str) -> bool:
    """Whether a CSV header line is a clip table's (a ``name`` column, or any AU column)."""
    columns = {column.strip() for column in header.strip().split(",")}
    return TABLE_NAME_COLUMN in columns or bool(columns & set(AU_COLUMNS))


def read_au_means(source: str | Path | IO[bytes], label: str | None = None) -> np.ndarray:
    """The 35 AU means of one organized clip-table row (``<stem>.au-means.csv``), shape (35,), float32.

    Raises
    ------
    MediaError
        When the file lacks an AU column or does not hold exactly one row of numbers.
    """
    label = label or str(source)
    table = _read_csv(source, label)
    units = _units_of(table, label)
    if units.shape[0] != 1 or not np.isfinite(units).all():
        raise MediaError(
            f"{label}: an AU-means file holds one row of 35 numbers, found {units.shape[0]} rows"
        )
    return units[0]


def au_means_text(values: np.ndarray) -> bytes:
    """One clip's 35 AU means as the CSV :func:`read_au_means` reads (header and one row)."""
    values = np.asarray(values, dtype=np.float64).reshape(1, len(AU_COLUMNS))
    buffer = io.StringIO()
    pd.DataFrame(values, columns=list(AU_COLUMNS)).to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode()


def tracking_text(units: np.ndarray, confidence: np.ndarray, fps: float = _RAVDESS_FPS) -> bytes:
    """A per-frame tracking CSV (``frame, timestamp, confidence, success`` and the AU columns).

    The subset of OpenFace's columns this project reads, as ``FeatureExtraction -aus``
    writes them; the synthetic demo and the tests write their tracking files with it.

    Parameters
    ----------
    units : np.ndarray, shape (frames, 35)
        :data:`AU_COLUMNS` per frame.
    confidence : np.ndarray, shape (frames,)
        Tracking confidence per frame, 0-1.
    fps : float
        Frames per second of the clip.
    """
    units = np.asarray(units, dtype=np.float64)
    frames = len(units)
    if units.shape != (frames, len(AU_COLUMNS)) or np.shape(confidence) != (frames,):
        raise ValueError(
            f"units must be (frames, {len(AU_COLUMNS)}) and confidence (frames,), got "
            f"{units.shape} and {np.shape(confidence)}"
        )
    table = pd.DataFrame(units.round(2), columns=list(AU_COLUMNS))
    table.insert(0, "frame", np.arange(1, frames + 1))
    table.insert(1, "timestamp", (np.arange(frames) / fps).round(3))
    table.insert(2, "confidence", np.asarray(confidence, dtype=np.float64).round(2))
    table.insert(3, "success", (np.asarray(confidence) >= MIN_CONFIDENCE).astype(int))
    return table.to_csv(index=False, lineterminator="\n").encode()


def probe_face_file(path: str | Path, content: str, label: str | None = None) -> MediaInfo:
    """Check a tracking CSV (``content="tracking"``) or an AU-means file (``"au_means"``) as organize does.

    Returns what the manifest records: frames, frame rate and duration of a tracking
    file; nothing for an AU-means row (its ``duration_s`` is NaN: the table does not say).

    Raises
    ------
    MediaError
        As :func:`read_tracking` or :func:`read_au_means` do.
    """
    if content == "au_means":
        read_au_means(path, label)
        return MediaInfo(duration_s=float("nan"))
    if content != "tracking":
        raise ValueError(f"content must be 'tracking' or 'au_means', got {content!r}")
    tracking = read_tracking(path, label)
    fps = tracking.fps
    frames = len(tracking.timestamps)
    return MediaInfo(
        duration_s=round(frames / fps, 4) if fps else 0.0,
        frames=frames,
        fps=round(fps, 4) if fps else None,
    )
