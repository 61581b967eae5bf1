"""Enrolling speakers for ``predict.py --enroll``: their unlabeled recordings, or enrollments stored before.

Each input of a model that takes enrollments (``Predictor.enrollable``: its audio
standardised per speaker) enrolls a speaker from their recordings with its own view and
settings. A stored enrollment (``ravdess_emotion.features.enrollments.Enrollment``) goes
to the input whose settings it was computed with; a model of several such inputs (an
ensemble) stores one folder per input.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ravdess_emotion.core.errors import MediaError
from ravdess_emotion.features.enrollments import Enrollment
from ravdess_emotion.prediction.discovery import enrolled_name, expand_paths
from ravdess_emotion.prediction.predictor import Enrollments, ModelInput, Predictor


def read_enrollments(
    predictor: Predictor, paths: list[Path], grouping: str = "auto", check_speech: bool = True
) -> tuple[Enrollments, list[str]]:
    """The enrollment of every speaker in ``paths``, per input: audio files and folders, or ``.npz`` files stored before.

    Audio is decoded and its features computed as each input's view and settings say;
    a stored enrollment is checked against them. Recordings of one speaker
    (``enrolled_name``) from several inputs are pooled. No label is read. A speaker
    enrolled for some inputs only is left out with a message, so that every input
    meets a speaker the same way.

    Returns
    -------
    enrollments : dict of input name to dict of speaker name to Enrollment
    problems : list of str
        Every enrollment file that could not be used, with the reason.

    Raises
    ------
    ValueError
        When the model cannot use enrollment, or a stored enrollment fits none of its inputs.
    """
    inputs = predictor.enrollable
    if not inputs:
        raise ValueError(
            f"this {predictor.kind} model does not standardise audio per speaker, so it takes no enrollment"
            if not predictor.ways
            else "this model standardises action units per speaker from the files given only; it takes no --enroll"
        )
    extensions = tuple(dict.fromkeys(e for inp in inputs for e in inp.view.extensions))
    files = expand_paths(paths, (*extensions, ".npz"))
    stored: dict[Path, tuple[str, Enrollment]] = {}
    for path in (p for p in files if p.suffix.lower() == ".npz"):
        enrollment = Enrollment.load(path)
        if len(inputs) == 1:
            enrollment.check_settings(inputs[0].view, inputs[0].settings, str(path))
            stored[path] = (inputs[0].name, enrollment)
            continue
        owner = next((inp for inp in inputs if enrollment.fits(inp.view, inp.settings)), None)
        if owner is None:
            raise ValueError(
                f"{path}: enrolled with other feature settings than every member of this ensemble "
                f"({', '.join(inp.name for inp in inputs)}); enroll again from the recordings with this model"
            )
        stored[path] = (owner.name, enrollment)
    enrollments: Enrollments = {}
    problems: list[str] = []
    for inp in inputs:
        enrollments[inp.name], input_problems = _enroll(inp, files, stored, grouping, check_speech)
        problems += [problem for problem in input_problems if problem not in problems]
    everywhere = set.intersection(*(set(speakers) for speakers in enrollments.values()))
    for name in sorted(set().union(*enrollments.values()) - everywhere):
        enrolled_for = [view for view, speakers in enrollments.items() if name in speakers]
        problems.append(
            f"enrollment of {name!r}: enrolled for the {' and '.join(enrolled_for)} member(s) only; "
            f"this ensemble needs every view ({', '.join(enrollments)}): give the recordings, or every view's .npz"
        )
    return {
        view: {n: e for n, e in speakers.items() if n in everywhere} for view, speakers in enrollments.items()
    }, problems


def _enroll(
    inp: ModelInput,
    files: list[Path],
    stored: dict[Path, tuple[str, Enrollment]],
    grouping: str,
    check_speech: bool,
) -> tuple[dict[str, Enrollment], list[str]]:
    """One input's enrollment of every speaker, from ``files`` in order: its stored ones, and audio decoded as it reads it."""
    pooled: dict[str, list[np.ndarray]] = {}
    sources: dict[str, list[str]] = {}
    problems: list[str] = []
    for path in files:
        if path in stored:
            owner, enrollment = stored[path]
            if owner != inp.name:
                continue
            name, features, origin = (
                enrollment.speaker,
                enrollment.features,
                list(enrollment.sources) or [str(path)],
            )
        elif path.suffix.lower() == ".npz":
            continue
        else:
            try:
                items, _ = inp.view.read_for_prediction(path, inp.settings, check_speech)
            except MediaError as error:
                problems.append(f"enrollment {error}")
                continue
            name, origin = enrolled_name(path, grouping), [str(path)]
            features = np.stack([item.features for item in items])
        pooled.setdefault(name, []).append(features)
        sources.setdefault(name, []).extend(origin)
    enrollments = {
        name: Enrollment.of_recordings(name, np.concatenate(parts), inp.view, inp.settings, sources[name])
        for name, parts in pooled.items()
    }
    return enrollments, problems


def enrolled_speakers(enrollments: Enrollments) -> list[str]:
    """The names of the speakers enrolled for every input."""
    values = list(enrollments.values())
    return sorted(set.intersection(*(set(speakers) for speakers in values))) if values else []


def save_enrollments(enrollments: Enrollments, folder: Path) -> list[tuple[str, int, Path]]:
    """Store every enrollment in ``folder`` (with several inputs, in ``folder/<input>/``); ``(speaker, recordings, file)`` of each."""
    several = len(enrollments) > 1
    return [
        (enrollment.speaker, len(enrollment.features), enrollment.save(folder / name if several else folder))
        for name, speakers in enrollments.items()
        for enrollment in speakers.values()
    ]
