"""Pairing the files of one take: a recording's audio with the face data filmed with it.

A RAVDESS take is one performance, filmed and recorded at once: its audio-only file and
its face files share the name but for the modality (``03-01-05-...`` and ``01-01-05-...``,
:attr:`~ravdess_emotion.core.ravdess.RavdessName.take`). Fusion models read both sides
of a take, so a file without a partner, a second file for a take, or a name that is not
RAVDESS's is reported, never paired by guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from ravdess_emotion.core.ravdess import AUDIO_EXTENSIONS, InvalidRavdessName, parse_name

AudioT = TypeVar("AudioT")
FaceT = TypeVar("FaceT")


def take_of(path: str | Path) -> str | None:
    """The take a RAVDESS-named file belongs to (``"01-05-01-01-01-02"``), or None for any other name."""
    try:
        return parse_name(path).take
    except InvalidRavdessName:
        return None


def audio_twin(video_path: str | Path) -> Path:
    """The audio-only RAVDESS twin of an audio-video clip when it lies beside it, else the clip itself."""
    video_path = Path(video_path)
    try:
        name = parse_name(video_path)
    except InvalidRavdessName:
        return video_path
    for extension in AUDIO_EXTENSIONS:
        twin = video_path.with_name(name.with_modality(3).filename(extension))
        if twin.exists():
            return twin
    return video_path


def pair_by_take(
    audio: Sequence[tuple[Path, AudioT]], faces: Sequence[tuple[str, Path, FaceT]]
) -> tuple[list[tuple[Path, AudioT, FaceT]], list[str]]:
    """Each audio file with the face data of its take, and a message for every file left without a partner.

    Parameters
    ----------
    audio : sequence of (path, features)
        Audio files, in the order the pairs are returned.
    faces : sequence of (label, name, features)
        Face data: ``label`` names it in messages (a CSV, or a table and its row),
        ``name`` carries the RAVDESS name its take is read from.

    Returns
    -------
    pairs : list of (audio path, audio features, face features)
    problems : list of str
        A face file whose name is not RAVDESS's or whose take already has one (the first
        is kept), an audio file of the same kinds, an audio file with no face data, and a
        face file with no audio, in that order.
    """
    problems = []
    by_take: dict[str, tuple[str, FaceT]] = {}
    for label, name, features in faces:
        take = take_of(name)
        if take is None:
            problems.append(f"{label}: not a RAVDESS name, so it cannot be paired with audio by take")
        elif take in by_take:
            problems.append(f"{label}: a second face file for take {take} (kept {by_take[take][0]})")
        else:
            by_take[take] = (label, features)
    pairs, used = [], set()
    for path, features in audio:
        take = take_of(path)
        if take is None:
            problems.append(
                f"{path}: not a RAVDESS name, so it cannot be paired with facial action units by take"
            )
        elif take not in by_take:
            problems.append(f"{path}: take {take} has no facial action units among the inputs, skipped")
        else:
            pairs.append((path, features, by_take[take][1]))
            used.add(take)
    problems += [
        f"{label}: take {take} has no audio file among the inputs, skipped"
        for take, (label, _) in sorted(by_take.items())
        if take not in used
    ]
    return pairs, problems
