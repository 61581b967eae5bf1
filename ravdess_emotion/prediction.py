"""Prediction: the emotion of audio or video files, with a model that ``train_models.py`` saved.

Features are computed with exactly the settings stored beside the model
(``<model>.json``), so a prediction sees what training saw. ``predict.py`` is its
command line; :func:`predict_files` is the Python API.
"""

from __future__ import annotations

import sys
from pathlib import Path

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import numpy as np
import pandas as pd

from ravdess_emotion.core.errors import MediaError
from ravdess_emotion.core.ravdess import AUDIO_EXTENSIONS, VIDEO_EXTENSIONS, InvalidRavdessName, parse_name
from ravdess_emotion.features.audio import audio_features_of_samples, load_audio_samples, mfcc_of_samples
from ravdess_emotion.features.clips import scale_frames
from ravdess_emotion.features.functionals import speaker_normalize
from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.speech_presence import no_speech_reason
from ravdess_emotion.features.video import sample_frames_job
from ravdess_emotion.models import EmotionModel, metadata_path_for

RELIABLE_SPEAKER_FILES = 10
"""Below this many files a speaker's statistics are noisy; the benchmark had 44-60 per actor."""

INPUT_EXTENSIONS = {
    "audio": AUDIO_EXTENSIONS + VIDEO_EXTENSIONS,
    "video": VIDEO_EXTENSIONS,
    "fusion": VIDEO_EXTENSIONS,
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
    try:
        settings = FeatureSettings.from_dict(model.metadata["features"])
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{metadata_file}: no valid feature settings ({error!r})") from None
    expected = {
        "audio": [settings.audio_shape],
        "video": [settings.video_shape],
        "fusion": [settings.audio_shape, settings.video_shape],
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
    """
    if kind == "audio":
        return audio_features_of_samples(speech_samples(path, settings, check_speech), settings)[None]
    # The same frames as training: face-cropped when the model's settings say so.
    frames = scale_frames(sample_frames_job(path, settings)[None])
    if kind == "video":
        return frames
    audio = speech_samples(audio_twin(path), settings, check_speech)
    return [mfcc_of_samples(audio, settings)[None], frames]


def speaker_of(path: Path, grouping: str = "auto") -> str:
    """Who speaks in ``path``: ``actor NN`` from a RAVDESS name (with ``auto``), else its folder."""
    if grouping == "auto":
        try:
            return f"actor {parse_name(path).actor:02d}"
        except InvalidRavdessName:
            pass
    return f"folder {path.parent}"


def normalize_by_speaker(
    features: list[np.ndarray], paths: list[Path], grouping: str = "auto"
) -> tuple[np.ndarray, list[Path], list[str]]:
    """Standardise each file's features by its speaker's files (``ravdess_emotion.features.functionals.speaker_normalize``).

    Returns the normalised features and paths of the speakers with at least two files,
    and a message for every file left out (a speaker with one file) and every speaker
    with fewer than ``RELIABLE_SPEAKER_FILES``.
    """
    speakers = np.array([speaker_of(p, grouping) for p in paths])
    names, counts = np.unique(speakers, return_counts=True)
    alone = set(names[counts < 2].tolist())
    problems = [
        f"{p}: {speaker} has no other file here; this model normalizes every speaker by their own "
        "recordings, so give several files of each speaker"
        for p, speaker in zip(paths, speakers, strict=True)
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
    if not keep.any():
        return np.zeros((0, *np.shape(features[0])[1:]), np.float32), [], problems
    kept = np.concatenate([f for f, k in zip(features, keep, strict=True) if k])
    return (
        speaker_normalize(kept, speakers[keep]),
        [p for p, k in zip(paths, keep, strict=True) if k],
        problems,
    )


def predict_files(
    model: EmotionModel, paths: list[Path], speaker_groups: str = "auto", check_speech: bool = True
) -> tuple[pd.DataFrame, list[str]]:
    """One row per file that could be read: path, predicted emotion, one probability per emotion.

    Files that cannot be decoded, that hold no speech (with ``check_speech``), or, for a
    speaker-normalized model, whose speaker has no other file, are returned as messages
    instead of ending the run.
    """
    settings = FeatureSettings.from_dict(model.metadata["features"])
    kind = model.kind
    emotions = model.metadata["emotions"]
    problems: list[str] = []

    def decoded():
        for path in paths:
            if path.suffix.lower() not in INPUT_EXTENSIONS[kind]:
                problems.append(
                    f"{path}: a {kind} model takes {'/'.join(INPUT_EXTENSIONS[kind])} files, "
                    f"not {path.suffix or 'none'}"
                )
                continue
            try:
                yield path, features_for(path, kind, settings, check_speech)
            except MediaError as error:
                problems.append(str(error))

    # One file at a time (a full-size video clip is 18 MB of floats), except when every
    # file of a speaker must be seen before any of them can be normalized.
    inputs = decoded()
    if settings.speaker_norm:
        pairs = list(inputs)
        inputs = []
        if pairs:
            normalized, kept, alone = normalize_by_speaker(
                [f for _, f in pairs], [p for p, _ in pairs], speaker_groups
            )
            problems.extend(alone)
            inputs = [(path, row[None]) for path, row in zip(kept, normalized, strict=True)]
    rows = []
    for path, features in inputs:
        probabilities = model.predict(features)[0]
        rows.append(
            {
                "path": str(path),
                "predicted": emotions[int(probabilities.argmax())],
                **{e: float(p) for e, p in zip(emotions, probabilities, strict=True)},
            }
        )
    return pd.DataFrame(rows, columns=["path", "predicted", *emotions]), problems
