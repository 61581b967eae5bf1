"""Feature caches: features, labels and per-sample information in one ``.npz`` file, never pickled.

A cache is loaded with ``allow_pickle=False``, so a cache file can never execute code,
and written atomically (``ravdess_emotion.core.files``), so it is either complete or absent.
Its *key* (:func:`cache_key`) is everything its features depend on: the files (name and
checksum), the settings that change them, and ``FEATURE_VERSION``. The key names the
file (:func:`cache_path`) and is stored inside it, so a cache of other files or
settings is never read as this one.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ravdess_emotion.core.files import write_atomically
from ravdess_emotion.features.settings import FEATURE_VERSION


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
    write_atomically(path, lambda stream: np.savez(stream, **arrays))
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
            # numpy takes any file that is not an archive or an array for a pickle.
            if not zipfile.is_zipfile(path):
                raise CacheError(
                    f"{path}: not a feature cache (not an .npz archive), refused unread"
                ) from error
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


def cache_key(kind: str, files: pd.DataFrame, fields: dict[str, object]) -> str:
    """Everything a cache depends on, as canonical JSON.

    Parameters
    ----------
    kind : str
        The view's ``cache_prefix`` (``"audio"``, ``"au"``).
    files : pd.DataFrame
        The files cached, in order, with their ``filename`` and ``sha256`` columns.
    fields : dict
        What the view's features depend on besides the files
        (``FeatureView.cache_key_fields``: its settings, under ``"settings"``).
    """
    key: dict[str, object] = {
        "version": FEATURE_VERSION,
        "kind": kind,
        **fields,
        "files": files[["filename", "sha256"]].astype(str).values.tolist(),
    }
    return json.dumps(key, sort_keys=True)


def cache_path(cache_dir: str | Path, kind: str, channel: str, key: str) -> Path:
    """``<cache_dir>/<kind>_<channel>_<16 hex digits of the key's SHA-256>.npz`` (``kind``: the view's ``cache_prefix``)."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return Path(cache_dir) / f"{kind}_{channel}_{digest}.npz"
