"""Prediction: the emotion of audio, video or facial action-unit files, with a model that ``train_models.py`` saved.

Features are computed with exactly the settings stored beside the model
(``<model>.json``), so a prediction sees what training saw. ``predict.py`` is its
command line; :func:`predict_files` is the Python API.

Action-unit models read per-frame OpenFace CSVs named like a RAVDESS video and clip
tables (a ``name`` column and the AU columns, one row per clip:
``ravdess_emotion.corpus.tracking``); an audio+AU model reads audio files and AU inputs
together and pairs them by take (every field of the RAVDESS name after the modality).
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import numpy as np
import pandas as pd

from ravdess_emotion.core.errors import MediaError
from ravdess_emotion.core.ravdess import AUDIO_EXTENSIONS, VIDEO_EXTENSIONS, InvalidRavdessName, parse_name
from ravdess_emotion.core.takes import pair_by_take
from ravdess_emotion.corpus.tracking import looks_like_au_table, read_au_table
from ravdess_emotion.features.action_units import au_features_job, speaker_normalize_units
from ravdess_emotion.features.audio import audio_features_of_samples, load_audio_samples, mfcc_of_samples
from ravdess_emotion.features.clips import scale_frames
from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.speakers import (
    SPEAKER_PATHS,
    Enrollment,
    SpeakerPrior,
    enrollment_settings,
    frame_statistics,
    standardized,
)
from ravdess_emotion.features.speech_presence import no_speech_reason
from ravdess_emotion.features.video import sample_frames_job
from ravdess_emotion.models import AudioViewsEnsemble, EmotionModel, metadata_path_for

RELIABLE_SPEAKER_FILES = 10
"""Below this many files a speaker's statistics are noisy; the benchmark had 44-60 per actor."""
MIN_BATCH_FILES = 2
"""A speaker with fewer files among those predicted is predicted without speaker statistics (if the model can)."""
SPEAKER_GROUPS = ("auto", "folder", "none")

Enrollments = dict[str, Enrollment] | dict[str, dict[str, Enrollment]]
"""Speaker name -> enrollment; for an ensemble of views, view name -> speaker name -> enrollment."""

INPUT_EXTENSIONS = {
    "audio": AUDIO_EXTENSIONS + VIDEO_EXTENSIONS,
    "video": VIDEO_EXTENSIONS,
    "fusion": VIDEO_EXTENSIONS,
    "au": (".csv",),
    "fusion_au": (*AUDIO_EXTENSIONS, ".csv"),
    "audio_views": AUDIO_EXTENSIONS + VIDEO_EXTENSIONS,
}


def expand_paths(paths: list[Path], extensions: tuple[str, ...]) -> list[Path]:
    """Files as given, and every file with a matching extension inside given folders (sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in extensions and p.is_file()))
        elif path.exists():
            files.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return files


def audio_twin(video_path: Path) -> Path:
    """The audio-only RAVDESS twin of an audio-video clip when it lies beside it, else the clip itself."""
    try:
        name = parse_name(video_path)
    except InvalidRavdessName:
        return video_path
    for extension in AUDIO_EXTENSIONS:
        twin = video_path.with_name(name.with_modality(3).filename(extension))
        if twin.exists():
            return twin
    return video_path


def check_model(model: EmotionModel, model_path: Path) -> FeatureSettings:
    """The feature settings stored beside a model, once they agree with the network itself.

    Raises
    ------
    ValueError
        Naming both files when the metadata's kind or feature settings do not fit the
        network's inputs (a ``.json`` edited by hand, or copied from another model).
    """
    metadata_file = metadata_path_for(model_path)
    if model.metadata.get("kind") != model.kind:
        raise ValueError(
            f"{metadata_file} says kind {model.metadata.get('kind')!r} but {model_path} holds a "
            f"{type(model).__name__} ({model.kind} model)"
        )
    if isinstance(model, AudioViewsEnsemble):
        try:
            members = model.members()
        except ValueError as error:
            raise ValueError(f"{metadata_file}: {error}") from None
        settings = [check_model(member, model_path) for member in members.values()]
        if len(model.model.inputs) != len(members):
            raise ValueError(
                f"{model_path} takes {len(model.model.inputs)} inputs but {metadata_file} describes "
                f"{len(members)} members: the metadata does not belong to this model"
            )
        return settings[0]
    try:
        settings = FeatureSettings.from_dict(model.metadata["features"])
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{metadata_file}: no valid feature settings ({error!r})") from None
    expected = {
        "audio": [settings.audio_shape],
        "video": [settings.video_shape],
        "fusion": [settings.audio_shape, settings.video_shape],
        "au": [settings.au_shape],
        "fusion_au": [settings.audio_shape, settings.au_shape],
    }[model.kind]
    actual = [tuple(tensor.shape[1:]) for tensor in model.model.inputs]
    if actual != expected:
        raise ValueError(
            f"{metadata_file} asks for features of shape {_shapes(expected)} but {model_path} takes "
            f"{_shapes(actual)}: the metadata does not belong to this model"
        )
    emotions, outputs = model.metadata.get("emotions"), int(model.model.outputs[0].shape[-1])
    if not isinstance(emotions, list) or len(emotions) != outputs:
        raise ValueError(
            f"{metadata_file} names {len(emotions) if isinstance(emotions, list) else 'no'} emotions but "
            f"{model_path} has {outputs} outputs: the metadata does not belong to this model"
        )
    return settings


def _shapes(shapes: list[tuple[int, ...]]) -> str:
    return " and ".join(str(tuple(int(d) for d in shape)) for shape in shapes)


class NoSpeechError(MediaError):
    """An audio input that holds no voice (silence, a tone, noise): no emotion is predicted for it."""


def speech_samples(path: Path, settings: FeatureSettings, check_speech: bool = True) -> np.ndarray:
    """The decoded audio of ``path`` (mono float32 at ``settings.sample_rate``).

    Raises
    ------
    NoSpeechError
        With ``check_speech``, when ``ravdess_emotion.features.speech_presence.no_speech_reason`` finds no voice.
    MediaError
        When the file cannot be decoded.
    """
    samples = load_audio_samples(path, settings.sample_rate)
    if check_speech and (reason := no_speech_reason(samples, settings.sample_rate)):
        raise NoSpeechError(f"{path}: no speech detected: {reason}")
    return samples


def features_for(path: Path, kind: str, settings: FeatureSettings, check_speech: bool = True):
    """Model input for one file: a batch of one, shaped as in training.

    Audio (also the fusion model's) is first checked for speech, see :func:`speech_samples`.
    The fusion model's audio is the clip's audio-only twin (:func:`audio_twin`), or the
    clip's own soundtrack when there is none or it cannot be decoded (with a note).
    """
    if kind == "audio":
        return audio_features_of_samples(speech_samples(path, settings, check_speech), settings)[None]
    # The same frames as training: face-cropped when the model's settings say so.
    frames = scale_frames(sample_frames_job(path, settings)[None])
    if kind == "video":
        return frames
    twin = audio_twin(path)
    try:
        audio = speech_samples(twin, settings, check_speech)
    except NoSpeechError:
        raise
    except MediaError as error:
        if twin == path:
            raise
        # A broken twin (empty, cut, not audio) costs the clip nothing: it has its own soundtrack.
        print(f"note: {error}; using the soundtrack of {path} instead", file=sys.stderr)
        audio = speech_samples(path, settings, check_speech)
    return [mfcc_of_samples(audio, settings)[None], frames]


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


def speaker_paths(model: EmotionModel) -> tuple[str, ...]:
    """The ways ``model`` can meet a speaker (``ravdess_emotion.features.speakers.SPEAKER_PATHS``); () when it needs none.

    An audio model standardised per speaker serves ``batch`` (statistics from the files
    given) and ``enrollment`` (from enrollment files); one trained with a speaker prior
    (``train_models.py --enrollment-copies``, the default of ``--preset best``) also
    ``independent`` (no statistics of the speaker). Action-unit models serve ``batch``;
    an ensemble of views the ways all of its members serve.
    """
    if isinstance(model, AudioViewsEnsemble):  # the ways every member serves
        member_ways = [speaker_paths(member) for member in model.members().values()]
        return tuple(way for way in member_ways[0] if all(way in ways for ways in member_ways))
    settings = FeatureSettings.from_dict(model.metadata["features"])
    if model.kind == "audio" and settings.speaker_norm:
        return SPEAKER_PATHS if "speaker_prior" in model.metadata else SPEAKER_PATHS[:2]
    if model.kind in ("au", "fusion_au") and settings.speaker_normalized:
        return ("batch",)
    return ()


def read_enrollments(
    model: EmotionModel, paths: list[Path], grouping: str = "auto", check_speech: bool = True
) -> tuple[Enrollments, list[str]]:
    """The enrollment of every speaker in ``paths``: audio files and folders, or ``.npz`` files stored before.

    For an ensemble of views, one per view (:func:`read_view_enrollments`).

    Audio is decoded and its features computed as the model's settings say; a stored
    enrollment (:meth:`Enrollment.save`) is checked against them. Recordings of one
    speaker (:func:`enrolled_name`) from several inputs are pooled. No label is read.

    Returns
    -------
    enrollments : dict of str to Enrollment (an ensemble's: of view to that)
    problems : list of str
        Every enrollment file that could not be used, with the reason.

    Raises
    ------
    ValueError
        When the model cannot use enrollment, or a stored enrollment does not fit it.
    """
    if isinstance(model, AudioViewsEnsemble):
        return read_view_enrollments(model, paths, grouping, check_speech)
    if "enrollment" not in speaker_paths(model):
        raise ValueError(
            f"this {model.kind} model does not standardise audio per speaker, so it takes no enrollment"
            if not speaker_paths(model)
            else "this model standardises action units per speaker from the files given only; it takes no --enroll"
        )
    settings = FeatureSettings.from_dict(model.metadata["features"])
    files = expand_paths(paths, (*INPUT_EXTENSIONS["audio"], ".npz"))
    pooled: dict[str, list[np.ndarray]] = {}
    sources: dict[str, list[str]] = {}
    problems: list[str] = []
    for path in files:
        if path.suffix.lower() == ".npz":
            stored = Enrollment.load(path)
            stored.check_settings(settings, str(path))
            name, features, origin = stored.speaker, stored.features, list(stored.sources) or [str(path)]
        else:
            try:
                features = features_for(path, "audio", settings, check_speech)
            except MediaError as error:
                problems.append(f"enrollment {error}")
                continue
            name, origin = enrolled_name(path, grouping), [str(path)]
        pooled.setdefault(name, []).append(features)
        sources.setdefault(name, []).extend(origin)
    enrollments = {
        name: Enrollment.of_recordings(name, np.concatenate(parts), settings, sources[name])
        for name, parts in pooled.items()
    }
    return enrollments, problems


def read_view_enrollments(
    model: AudioViewsEnsemble, paths: list[Path], grouping: str = "auto", check_speech: bool = True
) -> tuple[dict[str, dict[str, Enrollment]], list[str]]:
    """Every view's enrollment of every speaker in ``paths`` for an ensemble of views (view -> speaker -> enrollment).

    Audio is enrolled once per member, with that member's feature settings; a stored
    ``.npz`` (:func:`save_enrollments` writes one per view and speaker) goes to the member
    whose settings it was computed with. A speaker missing from some view's enrollment
    is left out with a message, so that every member meets a speaker the same way.

    Raises
    ------
    ValueError
        When a stored enrollment fits no member.
    """
    members = model.members()
    files = expand_paths(paths, (*INPUT_EXTENSIONS["audio"], ".npz"))
    audio = [path for path in files if path.suffix.lower() != ".npz"]
    stored: dict[str, list[Path]] = {view: [] for view in members}
    wanted = {
        view: enrollment_settings(FeatureSettings.from_dict(member.metadata["features"]))
        for view, member in members.items()
    }
    for path in (p for p in files if p.suffix.lower() == ".npz"):
        settings = Enrollment.load(path).settings
        view = next((v for v, values in wanted.items() if values == settings), None)
        if view is None:
            raise ValueError(
                f"{path}: enrolled with other feature settings than every member of this ensemble "
                f"({', '.join(members)}); enroll again from the recordings with this model"
            )
        stored[view].append(path)
    enrollments: dict[str, dict[str, Enrollment]] = {}
    problems: list[str] = []
    for view, member in members.items():
        enrollments[view], member_problems = read_enrollments(
            member, audio + stored[view], grouping, check_speech
        )
        problems += [problem for problem in member_problems if problem not in problems]
    everywhere = set.intersection(*(set(speakers) for speakers in enrollments.values()))
    for name in sorted(set().union(*enrollments.values()) - everywhere):
        enrolled_for = [view for view, speakers in enrollments.items() if name in speakers]
        problems.append(
            f"enrollment of {name!r}: enrolled for the {' and '.join(enrolled_for)} member(s) only; "
            f"this ensemble needs every view ({', '.join(members)}): give the recordings, or every view's .npz"
        )
    return {
        view: {n: e for n, e in speakers.items() if n in everywhere} for view, speakers in enrollments.items()
    }, problems


def enrolled_speakers(enrollments: Enrollments) -> list[str]:
    """The names of the speakers enrolled (of an ensemble's: in every view)."""
    values = list(enrollments.values())
    if values and isinstance(values[0], dict):
        return sorted(set.intersection(*(set(speakers) for speakers in values)))
    return sorted(enrollments)


def save_enrollments(enrollments: Enrollments, folder: Path) -> list[tuple[str, int, Path]]:
    """Store every enrollment in ``folder`` (an ensemble's in ``folder/<view>/``); ``(speaker, recordings, file)`` of each."""
    saved = []
    for key, value in enrollments.items():
        if isinstance(value, dict):
            saved += [(e.speaker, len(e.features), e.save(folder / key)) for e in value.values()]
        else:
            saved.append((value.speaker, len(value.features), value.save(folder)))
    return saved


def standardize_audio_by_speaker(
    model: EmotionModel,
    features: list[np.ndarray],
    paths: list[Path],
    grouping: str = "auto",
    enrollments: dict[str, Enrollment] | None = None,
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, int]], list[str]]:
    """Standardise each file's audio features the way the model and the inputs allow.

    - ``grouping="none"``: by the model's speaker prior alone (``independent``);
    - with ``enrollments``: by the enrolled recordings of the file's speaker
      (:func:`enrolled_name`), never by the files predicted; a speaker not enrolled is
      predicted ``independent``;
    - else by all the given files of the file's speaker (:func:`speaker_of`): ``batch``;
      a speaker with fewer than ``MIN_BATCH_FILES`` files is predicted ``independent``.

    Without a prior (a model trained before ``--enrollment-copies``), a file that would be
    predicted ``independent`` is left out with a message instead, and an enrollment needs
    two recordings.

    Returns
    -------
    The features of the kept files (n_kept, *feature shape), their indices in ``paths``, the
    way and the number of the speaker's recordings used for each, and a message for every
    file left out.

    Raises
    ------
    ValueError
        With ``grouping="none"`` when the model has no speaker-independent way.
    """
    ways = speaker_paths(model)
    prior = SpeakerPrior.from_dict(model.metadata["speaker_prior"]) if "independent" in ways else None
    if grouping == "none" and prior is None:
        raise ValueError(
            "this model standardises every speaker by their own recordings and was trained without a "
            "speaker-independent way, so it cannot predict with --speaker-groups none; it can use "
            f"{' and '.join(ways)}: give several files of each speaker, or --enroll recordings of them "
            "(or retrain it with train_models.py's default recipe or --preset best, whose training copies "
            "add the speaker-independent way)"
        )
    X = np.concatenate(features).astype(np.float64) if features else np.zeros((0, 0))
    speakers = [speaker_of(p, grouping) for p in paths] if grouping != "none" else []
    counts = {name: speakers.count(name) for name in set(speakers)}
    out, kept, used, problems, batch_speakers = [], [], [], [], set()
    for index, path in enumerate(paths):
        row = X[index : index + 1]
        if grouping == "none":
            recordings, way = X[:0], "independent"
        elif enrollments is not None:
            name = enrolled_name(path, grouping)
            enrolled = enrollments.get(name)
            if enrolled is None:
                recordings, way = X[:0], "independent"
                if prior is None:
                    known = ", ".join(sorted(enrollments)) or "none"
                    problems.append(
                        f"{path}: speaker {name!r} is not enrolled (enrolled: {known}), and this model has no "
                        "speaker-independent way"
                    )
                    continue
            else:
                recordings, way = enrolled.features, "enrollment"
        elif counts[speakers[index]] >= MIN_BATCH_FILES:
            recordings, way = X[[i for i, s in enumerate(speakers) if s == speakers[index]]], "batch"
            batch_speakers.add(speakers[index])
        else:
            recordings, way = X[:0], "independent"
            if prior is None:
                problems.append(
                    f"{path}: {speakers[index]} has no other file here; this model normalizes every speaker by "
                    "their own recordings, so give several files of each speaker, or --enroll recordings of them"
                )
                continue
        if prior is not None:
            out.append(prior.standardize(row, recordings))
        elif len(recordings) < 2:
            problems.append(
                f"{path}: the enrollment of {enrolled_name(path, grouping)!r} holds {len(recordings)} recording; "
                "this model needs at least two (a model retrained with a speaker prior, --enrollment-copies prior or "
                "--preset best, takes one)"
            )
            continue
        else:
            out.append(standardized(row, *frame_statistics(recordings)))
        kept.append(index)
        used.append((way, len(recordings)))
    for name in sorted(batch_speakers):
        if counts[name] < RELIABLE_SPEAKER_FILES:
            print(
                f"note: {name} has {counts[name]} files; speaker statistics from fewer than "
                f"{RELIABLE_SPEAKER_FILES} are noisy, so expect lower accuracy",
                file=sys.stderr,
            )
    normalized = np.concatenate(out) if out else np.zeros((0, *X.shape[1:]), np.float32)
    return normalized, np.array(kept, dtype=np.int64), used, problems


def normalize_by_speaker(
    features: list[np.ndarray] | list[list[np.ndarray]],
    paths: list[Path],
    grouping: str = "auto",
    components: tuple[str, ...] = ("zscore",),
    labels: list[str] | None = None,
) -> tuple[np.ndarray | list[np.ndarray], np.ndarray, list[str]]:
    """Standardise each file's features by its speaker's files (``ravdess_emotion.features.action_units.speaker_normalize_units``).

    Parameters
    ----------
    features : list
        One batch of one per file: an array (1, ...), or for a two-input model a list of two.
    paths : list of Path
        Whose speaker each file is (:func:`speaker_of`).
    grouping : {"auto", "folder"}
    components : tuple of str
        How to normalize each input: ``"zscore"``, ``"zscore+rank"`` (action units) or
        ``"none"``; ``("zscore",)`` for one input, ``("zscore", "none")`` the first of two.
    labels : list of str, optional
        How messages name each file (default: its path).

    Returns
    -------
    The normalised features (an array (n, ...), or a list of two) of the files whose
    speaker has at least two, the indices of those files in ``paths``, and a message for
    every file left out (a speaker with one file). Speakers with fewer than
    ``RELIABLE_SPEAKER_FILES`` get a note on stderr.
    """
    labels = labels or [str(p) for p in paths]
    speakers = np.array([speaker_of(p, grouping) for p in paths])
    names, counts = np.unique(speakers, return_counts=True)
    alone = set(names[counts < 2].tolist())
    problems = [
        f"{label}: {speaker} has no other file here; this model normalizes every speaker by their own "
        "recordings, so give several files of each speaker"
        for label, speaker in zip(labels, speakers, strict=True)
        if speaker in alone
    ]
    for name, count in zip(names, counts, strict=True):
        if 2 <= count < RELIABLE_SPEAKER_FILES:
            print(
                f"note: {name} has {count} files; speaker statistics from fewer than "
                f"{RELIABLE_SPEAKER_FILES} are noisy, so expect lower accuracy",
                file=sys.stderr,
            )
    keep = np.array([s not in alone for s in speakers], dtype=bool)
    parts = [[f] if isinstance(f, np.ndarray) else list(f) for f in features]
    stacked = []
    for index, how in enumerate(components):
        rows = [p[index] for p, k in zip(parts, keep, strict=True) if k]
        if not rows:
            stacked.append(np.zeros((0, *np.shape(parts[0][index])[1:]), np.float32))
            continue
        stacked.append(speaker_normalize_units(np.concatenate(rows), speakers[keep], how))
    return (stacked[0] if len(components) == 1 else stacked), np.flatnonzero(keep), problems


def face_inputs(
    paths: list[Path], settings: FeatureSettings
) -> tuple[list[tuple[str, Path, np.ndarray]], list[str]]:
    """The AU features of every clip in per-frame tracking CSVs and clip tables.

    Returns
    -------
    clips : list of (label, name, features)
        ``label`` names the clip in the output: the CSV's path, or ``TABLE.csv:NAME`` for
        a table row; ``name`` is a path whose file name is the clip's (its folder the
        file's), for speakers and takes; ``features`` a batch of one of the raw features,
        before any per-speaker standardisation: (1, 35) means, (1, 175) statistics or
        (1, au_frames, 35).
    problems : list of str
        Every file or row that could not be read, with the reason.
    """
    clips: list[tuple[str, Path, np.ndarray]] = []
    problems: list[str] = []
    for path in paths:
        try:
            parse_name(path)
        except InvalidRavdessName:
            try:
                with path.open("rb") as stream:
                    header = stream.readline(1 << 16).decode("utf-8", errors="replace")
            except OSError as error:
                problems.append(f"{path}: cannot be read ({error})")
                continue
            if not looks_like_au_table(header):
                problems.append(
                    f"{path}: neither a per-frame tracking CSV named like a RAVDESS clip nor a clip table "
                    "(a 'name' column and the OpenFace AU columns)"
                )
                continue
            if settings.au_features != "means":
                problems.append(
                    f"{path}: a clip table holds AU means only, and this model reads au_features="
                    f"{settings.au_features!r}: give it the per-frame tracking CSVs"
                )
                continue
            try:
                table = read_au_table(path)
            except MediaError as error:
                problems.append(str(error))
                continue
            values = table.drop(columns="name").to_numpy(np.float32)
            for name, row in zip(table["name"], values, strict=True):
                if not np.isfinite(row).all():
                    problems.append(f"{path}:{name}: a value of its AU columns is missing or not a number")
                    continue
                clips.append((f"{path}:{name}", path.parent / f"{name}.csv", row[None]))
            continue
        try:
            clips.append((str(path), path, au_features_job(path, settings)[None]))
        except MediaError as error:
            problems.append(str(error))
    return clips, problems


def predict_files(
    model: EmotionModel,
    paths: list[Path],
    speaker_groups: str = "auto",
    check_speech: bool = True,
    enrollments: Enrollments | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """One row per file (or clip, or take) that could be read: path, predicted emotion, one probability per emotion.

    Files that cannot be decoded, that hold no speech (with ``check_speech``), or, for a
    speaker-normalized model, that cannot be standardised, are returned as messages
    instead of ending the run. An AU model's ``path`` names the clip (its CSV, or
    ``TABLE.csv:NAME``); an audio+AU model's the audio file of the take.

    An audio model standardised per speaker also gives, per file, ``speaker_path`` (how
    its speaker's statistics were known: ``batch``, ``enrollment`` or ``independent``) and
    ``speaker_files`` (how many recordings they came from); see
    :func:`standardize_audio_by_speaker` for ``speaker_groups`` and ``enrollments``.

    Raises
    ------
    ValueError
        When ``speaker_groups`` or ``enrollments`` ask for a way the model cannot serve
        (the message says which it can).
    """
    if speaker_groups not in SPEAKER_GROUPS:
        raise ValueError(f"speaker_groups must be one of {', '.join(SPEAKER_GROUPS)}, not {speaker_groups!r}")
    if isinstance(model, AudioViewsEnsemble):
        return predict_views(model, paths, speaker_groups, check_speech, enrollments)
    settings = FeatureSettings.from_dict(model.metadata["features"])
    kind = model.kind
    emotions = model.metadata["emotions"]
    ways = speaker_paths(model)
    per_speaker_audio = kind == "audio" and settings.speaker_norm
    if not per_speaker_audio and ways and (speaker_groups == "none" or enrollments is not None):
        raise ValueError(
            f"this {kind} model standardises action units by the files given of each speaker only; "
            "give several files of each speaker (no --speaker-groups none, no --enroll)"
        )
    problems: list[str] = []
    wrong = [p for p in paths if p.suffix.lower() not in INPUT_EXTENSIONS[kind]]
    problems += [
        f"{path}: a {kind} model takes {'/'.join(INPUT_EXTENSIONS[kind])} files, not {path.suffix or 'none'}"
        for path in wrong
    ]
    paths = [p for p in paths if p not in wrong]

    def decoded(audio_kind: str, files: list[Path]):
        for path in files:
            try:
                yield path, features_for(path, audio_kind, settings, check_speech)
            except MediaError as error:
                problems.append(str(error))

    speaker_columns: list[tuple[str, int]] | None = None
    components = {
        "au": (settings.au_normalization,),
        "fusion_au": ("zscore" if settings.speaker_norm else "none", settings.au_normalization),
    }.get(kind, ("none",) * (2 if kind == "fusion" else 1))
    labels: list[str] | None = None
    if per_speaker_audio:
        pairs = list(decoded(kind, paths))
        normalized, kept, speaker_columns, left_out = standardize_audio_by_speaker(
            model, [f for _, f in pairs], [p for p, _ in pairs], speaker_groups, enrollments
        )
        problems += left_out
        inputs = [(pairs[i][0], normalized[row : row + 1]) for row, i in enumerate(kept)]
    elif kind == "au":
        clips, face_problems = face_inputs(paths, settings)
        problems += face_problems
        inputs = [(name, features) for _, name, features in clips]
        labels = [label for label, _, _ in clips]
    elif kind == "fusion_au":
        audio_files = [p for p in paths if p.suffix.lower() in AUDIO_EXTENSIONS]
        clips, face_problems = face_inputs([p for p in paths if p.suffix.lower() == ".csv"], settings)
        problems += face_problems
        pairs, pair_problems = pair_by_take(list(decoded("audio", audio_files)), clips)
        inputs = [(path, [audio, faces]) for path, audio, faces in pairs]
        problems += pair_problems
    else:
        # One file at a time (a full-size video clip is 18 MB of floats), except when every
        # file of a speaker must be seen before any of them can be normalized.
        inputs = decoded(kind, paths)
    if not per_speaker_audio and any(how != "none" for how in components):
        pairs = list(inputs)
        pair_labels = labels or [str(p) for p, _ in pairs]
        inputs = []
        if pairs:
            normalized, kept, alone = normalize_by_speaker(
                [f for _, f in pairs], [p for p, _ in pairs], speaker_groups, components, pair_labels
            )
            problems.extend(alone)
            labels = [pair_labels[i] for i in kept]
            blocks = normalized if isinstance(normalized, list) else [normalized]
            inputs = [
                (
                    pairs[i][0],
                    [b[row : row + 1] for b in blocks] if len(blocks) > 1 else blocks[0][row : row + 1],
                )
                for row, i in enumerate(kept)
            ]
    rows = []
    for index, (path, features) in enumerate(inputs):
        probabilities = model.predict(features)[0]
        row = {
            "path": labels[index] if labels is not None else str(path),
            "predicted": emotions[int(probabilities.argmax())],
            **{e: float(p) for e, p in zip(emotions, probabilities, strict=True)},
        }
        if speaker_columns is not None:
            row["speaker_path"], row["speaker_files"] = speaker_columns[index]
        rows.append(row)
    columns = [
        "path",
        "predicted",
        *emotions,
        *(["speaker_path", "speaker_files"] if per_speaker_audio else []),
    ]
    return pd.DataFrame(rows, columns=columns), problems


def predict_views(
    model: AudioViewsEnsemble,
    paths: list[Path],
    speaker_groups: str = "auto",
    check_speech: bool = True,
    enrollments: dict[str, dict[str, Enrollment]] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """:func:`predict_files` for an ensemble of views: each member predicts the files its way, the ensemble pools them.

    Each member prepares its own features and standardises them by its own speaker prior
    or enrollment (``enrollments[view]``); the probabilities are then pooled by the saved
    network's pooling layer (:meth:`AudioViewsEnsemble.pool`). A file is predicted when
    every member could predict it; the speaker columns are the first member's (every
    member meets a speaker the same way).
    """
    tables, problems, notes = [], [], []
    for view, member in model.members().items():
        with contextlib.redirect_stderr(io.StringIO()) as member_notes:
            table, member_problems = predict_files(
                member,
                paths,
                speaker_groups,
                check_speech,
                None if enrollments is None else enrollments[view],
            )
        tables.append(table.set_index("path"))
        problems += [problem for problem in member_problems if problem not in problems]
        # Each member would say the same of a speaker ("note: actor 06 has 4 files"): once is enough.
        notes += [note for note in member_notes.getvalue().splitlines() if note not in notes]
    for note in notes:
        print(note, file=sys.stderr)
    first = tables[0]
    predicted_by_all = [path for path in first.index if all(path in table.index for table in tables[1:])]
    for table in tables:
        for path in table.index.difference(predicted_by_all, sort=False):
            if not any(problem.startswith(f"{path}:") for problem in problems):
                problems.append(f"{path}: not every member of the ensemble could predict it (see above)")
    emotions = model.metadata["emotions"]
    pooled = model.pool([table.loc[predicted_by_all, emotions].to_numpy(np.float32) for table in tables])
    result = pd.DataFrame({"path": predicted_by_all})
    result["predicted"] = [emotions[int(i)] for i in pooled.argmax(axis=1)] if len(pooled) else []
    for index, emotion in enumerate(emotions):
        result[emotion] = pooled[:, index].astype(float) if len(pooled) else []
    for column in ("speaker_path", "speaker_files"):
        if column in first.columns:
            result[column] = first.loc[predicted_by_all, column].to_numpy()
    return result, problems
