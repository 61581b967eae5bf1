"""Which files to predict, and whose voice or face each is.

A folder given to ``predict.py`` is searched recursively for the files a model reads; a
file's speaker is the RAVDESS actor its name says, or its folder
(:func:`speaker_of`); an enrollment knows a speaker by a name that survives moving the
recordings to another folder (:func:`enrolled_name`).
"""

from __future__ import annotations

from pathlib import Path

from ravdess_emotion.core.ravdess import InvalidRavdessName, parse_name

SPEAKER_GROUPS = ("auto", "folder", "none")
"""How ``predict.py --speaker-groups`` tells whose file is whose (``none``: nobody's)."""


def expand_paths(paths: list[Path], extensions: tuple[str, ...]) -> list[Path]:
    """Files as given, and every file with a matching extension inside given folders (sorted).

    Raises
    ------
    FileNotFoundError
        Naming the first path that does not exist.
    """
    return files_in(paths, extensions)[0]


def files_in(paths: list[Path], extensions: tuple[str, ...]) -> tuple[list[Path], list[Path]]:
    """The files to predict (as given, and those with a matching extension in given folders), and the others in the folders.

    Hidden files and folders (``.DS_Store``, ``.git/``) count as neither.

    Raises
    ------
    FileNotFoundError
        Naming the first path that does not exist.
    """
    files: list[Path] = []
    ignored: list[Path] = []
    for path in paths:
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                if found.is_file() and not any(
                    part.startswith(".") for part in found.relative_to(path).parts
                ):
                    (files if found.suffix.lower() in extensions else ignored).append(found)
        elif path.exists():
            files.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return files, ignored


def speaker_of(path: Path, grouping: str = "auto") -> str:
    """Who speaks in ``path``: ``actor NN`` from a RAVDESS name (with ``auto``), else its folder."""
    if grouping == "auto":
        try:
            return f"actor {parse_name(path).actor:02d}"
        except InvalidRavdessName:
            pass
    return f"folder {path.parent}"


def enrolled_name(path: Path, grouping: str = "auto") -> str:
    """The name an enrollment knows a speaker by: ``actor-NN`` from a RAVDESS name (with ``auto``), else the folder's name.

    The folder's name, not its path, so that recordings to predict in ``new/alice/`` find
    the enrollment of ``enroll/alice/``.
    """
    if grouping == "auto":
        try:
            return f"actor-{parse_name(path).actor:02d}"
        except InvalidRavdessName:
            pass
    return path.resolve().parent.name or "root"
