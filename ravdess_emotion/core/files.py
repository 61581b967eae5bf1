"""Writing files so that a crash or a full disk never leaves half a file under a final name.

Every file the pipeline writes (organized media, the manifest, feature caches, frame
files, models and their metadata, training logs) goes through :func:`atomic_path` or
:func:`write_atomically`: the content is written under a hidden temporary name beside
the target (:func:`temporary_path`) and renamed over it with ``os.replace``, which is
atomic on one file system. A full disk becomes one message that names the target
(:func:`disk_full_error`). The CPU count of :func:`available_cores` is the default
number of worker processes everywhere.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TypeVar

TEMPORARY_SUFFIX = ".part"
"""Temporary files are ``.<name>.<pid>.part``: hidden, and never taken for data by a glob."""

_T = TypeVar("_T")


def temporary_path(target: str | Path, keep_suffix: bool = False) -> Path:
    """The hidden temporary name beside ``target`` that this process writes before renaming.

    With ``keep_suffix`` the name still ends in the target's suffix
    (``.model.123.part.keras``), for writers such as Keras that choose the format by it.
    """
    target = Path(target)
    if keep_suffix:
        return target.with_name(f".{target.stem}.{os.getpid()}{TEMPORARY_SUFFIX}{target.suffix}")
    return target.with_name(f".{target.name}.{os.getpid()}{TEMPORARY_SUFFIX}")


def disk_full_error(error: BaseException, target: str | Path) -> OSError | None:
    """``OSError("no space left on device while writing <target>")`` when ``error`` is a full disk, else None."""
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return OSError(f"no space left on device while writing {target}")
    return None


@contextlib.contextmanager
def atomic_path(target: str | Path, keep_suffix: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write ``target`` to; renamed to ``target`` when the block succeeds.

    Whatever the block raises leaves neither the temporary file nor a changed ``target``;
    a full disk is raised as :func:`disk_full_error`.

    Examples
    --------
    >>> with atomic_path("models/x.keras", keep_suffix=True) as tmp:  # doctest: +SKIP
    ...     network.save(tmp)
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(target, keep_suffix)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException as error:
        tmp.unlink(missing_ok=True)
        full = disk_full_error(error, target)
        if full is not None:
            raise full from error
        raise


def write_atomically(
    target: str | Path,
    fill: Callable[[IO[bytes]], None],
    check: Callable[[Path], _T] | None = None,
) -> _T | None:
    """Write ``target`` through :func:`atomic_path` with ``fill(stream)`` on the open temporary file.

    ``check``, when given, is called with the complete temporary file before it is renamed
    into place; whatever it raises leaves nothing behind, and what it returns is returned.
    The temporary file is opened with plain ``open()``, so it keeps the user's umask.
    """
    with atomic_path(target) as tmp:
        with tmp.open("wb") as stream:
            fill(stream)
        return check(tmp) if check is not None else None


def write_text_atomically(target: str | Path, text: str) -> Path:
    """:func:`write_atomically` of UTF-8 text; returns ``target``."""
    write_atomically(target, lambda stream: stream.write(text.encode()))
    return Path(target)


def file_sha256(path: str | Path) -> str:
    """The SHA-256 hex digest of a file's bytes."""
    with Path(path).open("rb") as stream:
        return stream_sha256(stream)


def stream_sha256(stream: IO[bytes]) -> str:
    """The SHA-256 hex digest of the rest of a binary stream."""
    return hashlib.file_digest(stream, "sha256").hexdigest()


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one), at least 1."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)
