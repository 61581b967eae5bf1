"""The predictor: a saved model's inputs rebuilt from its metadata, and the emotion of every file given to it.

A model file's ``.json`` says which feature views it reads (its ``kind``, or for an
ensemble each member's), with which feature settings, and how it standardises each
speaker (a speaker prior). :class:`Predictor` turns that into one :class:`ModelInput`
per network input, and predicts any model the same way: each input's features are
computed by its view, standardised by speaker as its view and the model say, and the
network predicts. Nothing here branches on what kind of model it holds.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ravdess_emotion.core.errors import MediaError
from ravdess_emotion.core.ravdess import CHANNELS, InvalidRavdessName, parse_name
from ravdess_emotion.core.takes import pair_by_take
from ravdess_emotion.features.enrollments import Enrollment
from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.speakers import (
    SPEAKER_PATHS,
    SpeakerPrior,
    standardize_by_ways,
    standardize_within_speakers,
)
from ravdess_emotion.features.speech_presence import NoSpeechError
from ravdess_emotion.features.views import (
    MODEL_KINDS,
    FeatureView,
    kind_views,
    registered_views,
    resolve_views,
    view_named,
)
from ravdess_emotion.models import EmotionModel, metadata_path_for
from ravdess_emotion.prediction.discovery import SPEAKER_GROUPS, enrolled_name, speaker_of
from ravdess_emotion.prediction.skips import Skipped, skipped_media

RELIABLE_SPEAKER_FILES = 10
"""Below this many files a speaker's statistics are noisy; the benchmark had 44-60 per actor."""

Enrollments = dict[str, dict[str, Enrollment]]
"""Input name -> speaker name -> that speaker's enrollment for the input."""


@dataclass(frozen=True)
class ModelInput:
    """One input of a saved model: the view that computes it, the settings it was trained with, its speaker prior.

    Attributes
    ----------
    name : str
        The view's name, or an ensemble member's (its enrollments are stored under it).
    view : FeatureView
    settings : FeatureSettings
    prior : SpeakerPrior or None
        The training speakers' statistics, for a model trained with them
        (``train_models.py --enrollment-copies``).
    """

    name: str
    view: FeatureView
    settings: FeatureSettings
    prior: SpeakerPrior | None = None

    @property
    def normalization(self) -> str:
        """How the input is standardised within a speaker (``FeatureView.speaker_normalization``)."""
        return self.view.speaker_normalization(self.settings)

    @property
    def ways(self) -> tuple[str, ...] | None:
        """The ways this input can meet a speaker (``SPEAKER_PATHS``), or None when it is not standardised per speaker.

        By the files given (``batch``) always; by enrollment recordings when it is
        computed from audio; by the training speakers alone (``independent``) with a prior.
        """
        if self.normalization == "none":
            return None
        ways = ["batch"]
        if self.view.reads_audio:
            ways.append("enrollment")
        if self.prior is not None:
            ways.append("independent")
        return tuple(ways)

    def standardize_batch(self, features: np.ndarray, speakers: np.ndarray) -> np.ndarray:
        """``features`` standardised by all the given recordings of each speaker (every speaker has two or more)."""
        return standardize_within_speakers(features, speakers, self.normalization, self.view.layout)


def model_inputs(metadata: dict[str, object]) -> list[ModelInput]:
    """The inputs a model's metadata describes, in the order of its network's inputs.

    An ensemble (``members`` and ``views``) has one input per member, each described by
    the member's own metadata; any other model the views of its ``kind`` under its
    ``features`` settings, the first with the ``speaker_prior`` when the model has one
    input.

    Raises
    ------
    ValueError
        When the metadata names no valid feature settings, an unknown kind, or members
        it does not describe.
    """
    members, names = metadata.get("members"), metadata.get("views")
    if members is not None or names is not None:
        if (
            not isinstance(members, dict)
            or not isinstance(names, list)
            or set(members) != set(names)
            or not names
        ):
            raise ValueError(
                "this ensemble's metadata does not describe its members (no 'views' and 'members')"
            )
        inputs = []
        for name in names:
            (member,) = model_inputs(members[name])
            inputs.append(ModelInput(name, member.view, member.settings, member.prior))
        return inputs
    kind = metadata.get("kind")
    if not isinstance(kind, str) or (kind not in MODEL_KINDS and kind not in registered_views()):
        raise ValueError(f"kind {kind!r} is no kind of model of this project ({', '.join(MODEL_KINDS)})")
    try:
        settings = FeatureSettings.from_dict(metadata["features"])
        views = resolve_views(kind_views(kind), settings)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"no valid feature settings ({error!r})") from None
    prior = None
    if len(views) == 1 and "speaker_prior" in metadata:
        prior = SpeakerPrior.from_dict(metadata["speaker_prior"])
    return [
        ModelInput(view.name, view, settings, prior if index == 0 else None)
        for index, view in enumerate(views)
    ]


@dataclass
class Item:
    """One prediction: a file (or a table row, a take of paired files, a window of a long recording) and its raw features per input."""

    label: str
    name: Path
    features: list[np.ndarray] = field(default_factory=list)
    span: tuple[float, float] | None = None
    duration_s: float | None = None


class Predictor:
    """A saved model, with what it needs to predict files as it was trained.

    Build one with :meth:`of_model`, which checks that the metadata belongs to the network.
    """

    def __init__(self, model: EmotionModel, inputs: list[ModelInput]) -> None:
        self.model = model
        self.inputs = inputs
        self.kind = str(model.metadata.get("kind") or model.kind)
        self.emotions: list[str] = list(model.metadata.get("emotions", []))

    @classmethod
    def of_model(cls, model: EmotionModel, model_path: str | Path) -> Predictor:
        """The predictor of a loaded model, once its metadata is known to fit its network.

        Raises
        ------
        ValueError
            Naming both files when the metadata's kind, feature settings or emotions do
            not fit the network's inputs and outputs (a ``.json`` edited by hand, or copied
            from another model).
        """
        metadata_file = metadata_path_for(model_path)
        try:
            inputs = model_inputs(model.metadata)
        except ValueError as error:
            raise ValueError(f"{metadata_file}: {error}") from None
        network = model._require_model()
        kind = model.metadata.get("kind")
        if len(network.inputs) != len(inputs):
            raise ValueError(
                f"{model_path} takes {len(network.inputs)} inputs but {metadata_file} describes "
                f"{len(inputs)}: the metadata does not belong to this model"
            )
        expected = [inp.view.shape(inp.settings) for inp in inputs]
        actual = [tuple(tensor.shape[1:]) for tensor in network.inputs]
        if actual != expected:
            if kind != model.kind and len(inputs) == 1 and model.kind:
                raise ValueError(
                    f"{metadata_file} says kind {kind!r} but {model_path} holds a {type(model).__name__} "
                    f"({model.kind} model, taking {_shapes(actual)})"
                )
            raise ValueError(
                f"{metadata_file} asks for features of shape {_shapes(expected)} but {model_path} takes "
                f"{_shapes(actual)}: the metadata does not belong to this model"
            )
        emotions, outputs = model.metadata.get("emotions"), int(network.outputs[0].shape[-1])
        if not isinstance(emotions, list) or len(emotions) != outputs:
            raise ValueError(
                f"{metadata_file} names {len(emotions) if isinstance(emotions, list) else 'no'} emotions but "
                f"{model_path} has {outputs} outputs: the metadata does not belong to this model"
            )
        return cls(model, inputs)

    # -- what it takes

    @property
    def anchor(self) -> FeatureView:
        """The view whose files are the items predicted (the last input's): the others follow each of its files."""
        return self.inputs[-1].view

    @property
    def paired_inputs(self) -> list[ModelInput]:
        """The inputs read from files of their own, paired with the anchor's by take (audio beside action units)."""
        return [inp for inp in self.inputs[:-1] if not inp.view.reads(f"x{self.anchor.extensions[0]}")]

    @property
    def extensions(self) -> tuple[str, ...]:
        """The file extensions this model takes: its anchor view's, and those of inputs given in files of their own."""
        extensions = list(self.anchor.extensions)
        for inp in self.paired_inputs:
            extensions += [e for e in inp.view.extensions if e not in extensions]
        return tuple(extensions)

    @property
    def ways(self) -> tuple[str, ...]:
        """The ways the model can meet a speaker (``SPEAKER_PATHS``); () when it standardises nothing per speaker.

        The ways every input standardised per speaker serves: ``batch``, ``enrollment``
        for audio, ``independent`` with a speaker prior.
        """
        served = [inp.ways for inp in self.inputs if inp.ways is not None]
        if not served:
            return ()
        return tuple(way for way in SPEAKER_PATHS if all(way in ways for ways in served))

    @property
    def enrollable(self) -> list[ModelInput]:
        """The inputs standardised by a speaker's enrollment, when the model takes one."""
        if "enrollment" not in self.ways:
            return []
        return [inp for inp in self.inputs if inp.ways is not None]

    # -- predicting

    def predict_files(
        self,
        paths: list[Path],
        speaker_groups: str = "auto",
        check_speech: bool = True,
        enrollments: Enrollments | None = None,
        segments: bool = False,
        speaker: str | None = None,
    ) -> tuple[pd.DataFrame, list[str]]:
        """One row per file (or table row, or take) that could be read: path, predicted emotion, one probability per emotion.

        Files that cannot be decoded, that are too short, that hold no speech (with
        ``check_speech``), or, for a model standardised per speaker, that cannot be
        standardised, are returned as messages (:class:`~ravdess_emotion.prediction.skips.Skipped`)
        instead of ending the run.

        A model that reads audio gives ``duration_s``, the length of each recording. One
        whose input is a fixed window of audio (an MFCC image) reads a longer recording
        as overlapping windows and averages their probabilities: ``windows`` says how
        many. With ``segments`` the table has a row per window instead, with its
        ``start_s`` and ``end_s``.

        A model that meets speakers in several ways also gives, per file,
        ``speaker_path`` (how its speaker's statistics were known: ``batch``,
        ``enrollment`` or ``independent``) and ``speaker_files`` (how many recordings they
        came from):

        - ``speaker_groups="none"``: by the model's speaker prior alone (``independent``);
        - with ``enrollments`` (``read_enrollments``): by the enrolled recordings of the
          file's speaker (its name, ``enrolled_name``, or ``speaker`` for every file),
          never by the files predicted; a speaker not enrolled is met ``independent``;
        - else by all the given files of the file's speaker (``speaker_of``, or
          ``speaker`` for every file): ``batch``; a speaker with one file is met
          ``independent``. Files of the other vocal channel than the model's (a RAVDESS
          song given to a speech model) are predicted with a warning, and grouped apart so
          that they do not change the statistics of the speaker's files of the model's channel.

        Raises
        ------
        ValueError
            When ``speaker_groups`` or ``enrollments`` ask for a way the model cannot
            serve (the message says which it can).
        """
        if speaker_groups not in SPEAKER_GROUPS:
            raise ValueError(
                f"speaker_groups must be one of {', '.join(SPEAKER_GROUPS)}, not {speaker_groups!r}"
            )
        ways = self.ways
        by_ways = "enrollment" in ways
        if ways and not by_ways and (speaker_groups == "none" or enrollments is not None):
            raise ValueError(
                f"this {self.kind} model standardises action units by the files given of each speaker only; "
                "give several files of each speaker (no --speaker-groups none, no --enroll)"
            )
        if by_ways and speaker_groups == "none" and "independent" not in ways:
            raise ValueError(
                "this model standardises every speaker by their own recordings and was trained without a "
                "speaker-independent way, so it cannot predict with --speaker-groups none; it can use "
                f"{' and '.join(ways)}: give several files of each speaker, or --enroll recordings of them "
                "(or retrain it with train_models.py's default recipe or --preset best, whose training copies "
                "add the speaker-independent way)"
            )
        problems: list[str] = []
        wrong = [p for p in paths if p.suffix.lower() not in self.extensions]
        problems += [
            Skipped(self._wrong_format(path), "not a format this model reads", path) for path in wrong
        ]
        self._warn_of_other_channels([p for p in paths if p not in wrong])
        items = self._items([p for p in paths if p not in wrong], check_speech, problems)
        if not ways:
            # One item at a time (a full-size video clip is 18 MB of floats): nothing waits for others.
            rows = [
                self._row(item, [self._model_input(i, item.features[i]) for i in range(len(self.inputs))])
                for item in items
            ]
        else:
            items = list(items)
            standardized, kept, used = self._standardized(
                items, speaker_groups, enrollments, problems, speaker
            )
            rows = []
            for row, index in enumerate(kept):
                inputs = [self._model_input(i, standardized[i][row]) for i in range(len(self.inputs))]
                rows.append(self._row(items[index], inputs))
                if by_ways:
                    rows[-1]["speaker_path"], rows[-1]["speaker_files"] = used[row]
        return self._table(rows, segments, by_ways), problems

    def _table(self, rows: list[dict[str, object]], segments: bool, by_ways: bool) -> pd.DataFrame:
        """The prediction table: a row per window with ``segments``, else the windows of each file averaged."""
        columns = ["path", "predicted", *self.emotions]
        if self.anchor.reads_audio:
            columns.append("duration_s")
        windowed = self.anchor.window_seconds(self.inputs[-1].settings) is not None
        table = pd.DataFrame(rows, columns=[*columns, "start_s", "end_s", "speaker_path", "speaker_files"])
        speaker_columns = ["speaker_path", "speaker_files"] if by_ways else []
        if segments and windowed:
            return table[[*columns, "start_s", "end_s", *speaker_columns]]
        if windowed and len(table):
            table["windows"] = 1
            first = table.groupby("path", sort=False).first()
            averaged = table.groupby("path", sort=False)[self.emotions].mean()
            first[self.emotions] = averaged
            first["windows"] = table.groupby("path", sort=False).size()
            first["predicted"] = [self.emotions[i] for i in averaged.to_numpy().argmax(axis=1)]
            table = first.reset_index()
            columns.append("windows")
        elif windowed:
            columns.append("windows")
            table["windows"] = pd.Series(dtype=int)
        return table[[*columns, *speaker_columns]]

    def _wrong_format(self, path: Path) -> str:
        """Why the model does not read ``path``, and what would."""
        article = "an" if self.kind[:1] in "aeiou" else "a"
        text = f"{path}: {article} {self.kind} model reads {'/'.join(self.extensions)} files, not {path.suffix or 'none'}"
        if path.suffix.lower() in view_named("mfcc").extensions and not self.anchor.reads_audio:
            return text + ": give it to an audio model (models/audio_emotion_*)"
        if self.anchor.reads_audio:
            return text + ": convert it to WAV first (for example: ffmpeg -i FILE FILE.wav)"
        return text

    def _row(self, item: Item, inputs: list[np.ndarray]) -> dict[str, object]:
        probabilities = self.model.predict(inputs[0] if len(inputs) == 1 else inputs)[0]
        start, end = item.span or (0.0, item.duration_s)
        return {
            "path": item.label,
            "predicted": self.emotions[int(probabilities.argmax())],
            **{e: float(p) for e, p in zip(self.emotions, probabilities, strict=True)},
            "duration_s": item.duration_s,
            "start_s": start,
            "end_s": end,
        }

    def _model_input(self, index: int, features: np.ndarray) -> np.ndarray:
        """One item's features of input ``index`` as the network reads them: a batch of one."""
        return self.inputs[index].view.model_input(np.asarray(features)[None])

    # -- reading files

    def _items(self, paths: list[Path], check_speech: bool, problems: list[str]) -> Iterator[Item]:
        """Every item of ``paths`` with its raw features for each input; what cannot be read goes to ``problems``.

        Each item the anchor view reads from a file (the file, a row of its table, a
        window of a long recording) is an item. An input that can read the anchor's file
        reads it too (its own file of the take, when it lies beside it: an audio-only
        twin); the others' files are paired with the anchor's by take.
        """
        anchor = self.inputs[-1]
        paired = self.paired_inputs
        if paired:
            yield from self._paired_items(paths, paired, check_speech, problems)
            return
        for path in paths:
            try:
                anchor_items, item_problems = anchor.view.read_for_prediction(
                    path, anchor.settings, check_speech
                )
                problems += [Skipped(p, "unreadable row", path) for p in item_problems]
                companions = [self._read_companion(inp, path, check_speech) for inp in self.inputs[:-1]]
                for read in anchor_items:
                    yield Item(
                        read.label, read.name, [*companions, read.features], read.span, read.duration_s
                    )
            except MediaError as error:
                problems.append(skipped_media(error, path))

    def _read_companion(self, inp: ModelInput, path: Path, check_speech: bool) -> np.ndarray:
        """An input's features of the take of ``path``: from its own file of the take, or from ``path`` itself.

        A companion input reads the first window of a long recording: the items are the
        anchor's (a video clip's frames), and a RAVDESS clip is shorter than one window.
        """
        source = inp.view.source_of(path, self.anchor)
        try:
            return inp.view.read_for_prediction(source, inp.settings, check_speech)[0][0].features
        except NoSpeechError:
            raise
        except MediaError as error:
            if source == path:
                raise
            # A broken twin (empty, cut, not audio) costs the clip nothing: it has its own soundtrack.
            print(f"note: {error}; using the soundtrack of {path} instead", file=sys.stderr)
            return inp.view.read_for_prediction(path, inp.settings, check_speech)[0][0].features

    def _paired_items(
        self, paths: list[Path], paired: list[ModelInput], check_speech: bool, problems: list[str]
    ) -> Iterator[Item]:
        """Items of the files of two inputs read from files of their own, paired by take (``core.takes.pair_by_take``)."""
        if len(paired) != 1 or len(self.inputs) != 2:
            raise ValueError("files of their own are paired by take for models of two inputs")
        (first,), anchor = paired, self.inputs[-1]
        first_files, anchor_files = [], []
        for path in paths:
            if first.view.reads(path):
                try:
                    (read, *_), _ = first.view.read_for_prediction(path, first.settings, check_speech)
                    first_files.append((path, read.features))
                except MediaError as error:
                    problems.append(skipped_media(error, path))
            else:
                try:
                    items, item_problems = anchor.view.read_for_prediction(
                        path, anchor.settings, check_speech
                    )
                    problems += [Skipped(p, "unreadable row", path) for p in item_problems]
                    anchor_files += [(read.label, read.name, read.features) for read in items]
                except MediaError as error:
                    problems.append(skipped_media(error, path))
        pairs, pair_problems = pair_by_take(first_files, anchor_files)
        problems += [Skipped(p, _pairing_reason(p), p.split(": ", 1)[0]) for p in pair_problems]
        for path, first_features, anchor_features in pairs:
            yield Item(str(path), path, [first_features, anchor_features])

    def _warn_of_other_channels(self, paths: list[Path]) -> None:
        """Warn of RAVDESS files of the other vocal channel than the model was trained on (song given to a speech model)."""
        channel = self.model.metadata.get("channel")
        others: dict[str, list[Path]] = {}
        for path in paths:
            if (other := _channel_of(path)) is not None and channel is not None and other != channel:
                others.setdefault(other, []).append(path)
        for other, files in others.items():
            print(
                f"warning: {len(files)} {other} recordings (RAVDESS vocal channel {other}, first: {files[0].name}) "
                f"given to a {channel} model, which never heard {other}: expect lower accuracy; their speaker "
                f"statistics are kept apart from the {channel} files",
                file=sys.stderr,
            )

    # -- speakers

    def _standardized(
        self,
        items: list[Item],
        grouping: str,
        enrollments: Enrollments | None,
        problems: list[str],
        speaker: str | None = None,
    ) -> tuple[list[np.ndarray], np.ndarray, list[tuple[str, int]]]:
        """Each input's features of the items standardised by speaker, the items kept, and how each met its speaker.

        A model that takes enrollments standardises each input by the ways its inputs
        allow (``speakers.standardize_by_ways``); one that standardises by the files given
        only drops the speakers with one file and standardises the others by all of theirs.
        The windows of a long recording count as one recording of its speaker.
        """
        labels = [item.label for item in items]
        keep = np.ones(len(items), dtype=bool)
        standardized: list[np.ndarray | None] = [None] * len(self.inputs)
        used: list[tuple[str, int]] | None = None
        notes: list[str] = []
        if "enrollment" in self.ways:
            speakers = (
                None if grouping == "none" else [self._speaker(item, grouping, speaker) for item in items]
            )
            names = None
            if enrollments is not None:
                names = [speaker or enrolled_name(item.name, grouping) for item in items]
            for index, inp in enumerate(self.inputs):
                raw = _stacked([item.features[index] for item in items], inp.view.shape(inp.settings))
                if inp.ways is None:
                    standardized[index] = raw
                    continue
                enrolled = None
                if enrollments is not None:
                    enrolled = {name: e.features for name, e in enrollments.get(inp.name, {}).items()}
                result = standardize_by_ways(
                    raw, labels, inp.prior, speakers, names, enrolled, RELIABLE_SPEAKER_FILES, labels
                )
                full = np.zeros((len(items), *raw.shape[1:]), np.float32)
                full[result.kept] = result.features
                standardized[index] = full
                mask = np.zeros(len(items), dtype=bool)
                mask[result.kept] = True
                keep &= mask
                if used is None:
                    used = [("", 0)] * len(items)
                    for row, way in zip(result.kept, result.ways, strict=True):
                        used[row] = way
                problems += [
                    Skipped(p, "no speaker statistics", p.split(": ", 1)[0])
                    for p in result.problems
                    if p not in problems
                ]
                notes += [n for n in result.notes if n not in notes]
            if enrollments is not None and names is not None and used is not None:
                notes += _enrollment_report(labels, names, used, enrollments)
        else:
            speakers = np.array([self._speaker(item, grouping, speaker) for item in items])
            names, counts = np.unique(speakers, return_counts=True)
            alone = set(names[counts < 2].tolist())
            problems += [
                Skipped(
                    f"{label}: {who} has no other file here; this model normalizes every speaker by their own "
                    "recordings, so give several files of each speaker",
                    "no speaker statistics",
                    label,
                )
                for label, who in zip(labels, speakers, strict=True)
                if who in alone
            ]
            notes += [
                f"note: {name} has {count} files; speaker statistics from fewer than "
                f"{RELIABLE_SPEAKER_FILES} are noisy, so expect lower accuracy"
                for name, count in zip(names, counts, strict=True)
                if 2 <= count < RELIABLE_SPEAKER_FILES
            ]
            keep = np.array([speaker not in alone for speaker in speakers], dtype=bool)
            for index, inp in enumerate(self.inputs):
                raw = _stacked([item.features[index] for item in items], inp.view.shape(inp.settings))
                if inp.ways is None or not keep.any():
                    standardized[index] = raw
                    continue
                full = np.zeros((len(items), *inp.view.shape(inp.settings)), np.float32)
                full[keep] = inp.standardize_batch(raw[keep], speakers[keep])
                standardized[index] = full
        for note in notes:
            print(note, file=sys.stderr)
        kept = np.flatnonzero(keep)
        return [array[kept] for array in standardized], kept, [used[i] for i in kept] if used else []

    def _speaker(self, item: Item, grouping: str, speaker: str | None) -> str:
        """Who speaks in an item (``speaker`` when given); another vocal channel than the model's is a speaker apart."""
        who = speaker or speaker_of(item.name, grouping)
        channel, other = self.model.metadata.get("channel"), _channel_of(item.name)
        if grouping == "auto" and channel is not None and other is not None and other != channel:
            who += f" ({other})"
        return who


def _enrollment_report(
    labels: list[str], names: list[str], used: list[tuple[str, int]], enrollments: Enrollments
) -> list[str]:
    """Which enrolled speakers the files matched, which they did not, and how everyone else was met."""
    enrolled = set().union(*(set(speakers) for speakers in enrollments.values()))
    files: dict[str, set[str]] = {}
    for label, name in zip(labels, names, strict=True):
        files.setdefault(name, set()).add(label)
    matched = sorted(name for name in files if name in enrolled)
    lines = []
    if matched:
        lines.append(
            "note: enrolled speakers matched: "
            + ", ".join(f"{name} ({len(files[name])} files)" for name in matched)
        )
    if missing := sorted(enrolled - set(files)):
        lines.append(f"note: enrolled speakers with no file here: {', '.join(missing)}")
    others = sorted(name for name in files if name not in enrolled)
    if others:
        count = sum(len(files[name]) for name in others)
        ways = sorted({way for (way, _), name in zip(used, names, strict=True) if name in others and way})
        met = f"met {' or '.join(ways)} (without speaker statistics)" if ways else "skipped (see above)"
        lines.append(
            f"{'warning' if not matched else 'note'}: {count} files of speakers not enrolled "
            f"({', '.join(others[:5])}{', ...' if len(others) > 5 else ''}) were {met}; a file's speaker is "
            "the RAVDESS actor or its folder's name: give --speaker NAME to name the enrolled speaker "
            f"(enrolled: {', '.join(sorted(enrolled)) or 'none'})"
        )
    return lines


def _channel_of(path: Path) -> str | None:
    """The vocal channel ("speech", "song") a RAVDESS file name says, or None for any other name."""
    try:
        return CHANNELS[parse_name(path).vocal_channel]
    except (InvalidRavdessName, KeyError):
        return None


def _pairing_reason(message: str) -> str:
    """The summary's reason for a message of ``pair_by_take``."""
    if "has no audio file among the inputs" in message:
        return "no audio file of its take"
    if "has no facial action units among the inputs" in message:
        return "no action units of its take"
    return "cannot be paired by take"


def speaker_paths(model: EmotionModel) -> tuple[str, ...]:
    """The ways ``model`` can meet a speaker (``Predictor.ways``); () when it standardises nothing per speaker."""
    return Predictor(model, model_inputs(model.metadata)).ways


def _stacked(features: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    """The features of some items as one array (n, ...); (0, ...) for none."""
    return np.stack(features).astype(np.float32) if features else np.zeros((0, *shape), np.float32)


def _shapes(shapes: list[tuple[int, ...]]) -> str:
    return " and ".join(str(tuple(int(d) for d in shape)) for shape in shapes)
