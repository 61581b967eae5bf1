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
)
from ravdess_emotion.models import EmotionModel, metadata_path_for
from ravdess_emotion.prediction.discovery import SPEAKER_GROUPS, enrolled_name, speaker_of

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
    """One prediction: a file (or a table row, or a take of paired files) and its raw features per input."""

    label: str
    name: Path
    features: list[np.ndarray] = field(default_factory=list)


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
    ) -> tuple[pd.DataFrame, list[str]]:
        """One row per file (or table row, or take) that could be read: path, predicted emotion, one probability per emotion.

        Files that cannot be decoded, that hold no speech (with ``check_speech``), or,
        for a model standardised per speaker, that cannot be standardised, are returned
        as messages instead of ending the run.

        A model that meets speakers in several ways also gives, per file,
        ``speaker_path`` (how its speaker's statistics were known: ``batch``,
        ``enrollment`` or ``independent``) and ``speaker_files`` (how many recordings they
        came from):

        - ``speaker_groups="none"``: by the model's speaker prior alone (``independent``);
        - with ``enrollments`` (``read_enrollments``): by the enrolled recordings of the
          file's speaker, never by the files predicted; a speaker not enrolled is met
          ``independent``;
        - else by all the given files of the file's speaker (``speaker_of``): ``batch``;
          a speaker with one file is met ``independent``.

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
            f"{path}: a {self.kind} model takes {'/'.join(self.extensions)} files, not {path.suffix or 'none'}"
            for path in wrong
        ]
        items = self._items([p for p in paths if p not in wrong], check_speech, problems)
        columns = ["path", "predicted", *self.emotions]
        if not ways:
            # One item at a time (a full-size video clip is 18 MB of floats): nothing waits for others.
            rows = [
                self._row(
                    item.label, [self._model_input(i, item.features[i]) for i in range(len(self.inputs))]
                )
                for item in items
            ]
            return pd.DataFrame(rows, columns=columns), problems
        items = list(items)
        standardized, kept, used = self._standardized(items, speaker_groups, enrollments, problems)
        rows = []
        for row, index in enumerate(kept):
            inputs = [self._model_input(i, standardized[i][row]) for i in range(len(self.inputs))]
            rows.append(self._row(items[index].label, inputs))
            if by_ways:
                rows[-1]["speaker_path"], rows[-1]["speaker_files"] = used[row]
        if by_ways:
            columns += ["speaker_path", "speaker_files"]
        return pd.DataFrame(rows, columns=columns), problems

    def _row(self, label: str, inputs: list[np.ndarray]) -> dict[str, object]:
        probabilities = self.model.predict(inputs[0] if len(inputs) == 1 else inputs)[0]
        return {
            "path": label,
            "predicted": self.emotions[int(probabilities.argmax())],
            **{e: float(p) for e, p in zip(self.emotions, probabilities, strict=True)},
        }

    def _model_input(self, index: int, features: np.ndarray) -> np.ndarray:
        """One item's features of input ``index`` as the network reads them: a batch of one."""
        return self.inputs[index].view.model_input(np.asarray(features)[None])

    # -- reading files

    def _items(self, paths: list[Path], check_speech: bool, problems: list[str]) -> Iterator[Item]:
        """Every item of ``paths`` with its raw features for each input; what cannot be read goes to ``problems``.

        Each file of the anchor view is an item. An input that can read the anchor's file
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
                problems += item_problems
                for label, name, features in anchor_items:
                    item = Item(label, name)
                    for inp in self.inputs[:-1]:
                        item.features.append(self._read_companion(inp, path, check_speech))
                    item.features.append(features)
                    yield item
            except MediaError as error:
                problems.append(str(error))

    def _read_companion(self, inp: ModelInput, path: Path, check_speech: bool) -> np.ndarray:
        """An input's features of the take of ``path``: from its own file of the take, or from ``path`` itself."""
        source = inp.view.source_of(path, self.anchor)
        try:
            return inp.view.read_for_prediction(source, inp.settings, check_speech)[0][0][2]
        except NoSpeechError:
            raise
        except MediaError as error:
            if source == path:
                raise
            # A broken twin (empty, cut, not audio) costs the clip nothing: it has its own soundtrack.
            print(f"note: {error}; using the soundtrack of {path} instead", file=sys.stderr)
            return inp.view.read_for_prediction(path, inp.settings, check_speech)[0][0][2]

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
                    ((_, _, features),), _ = first.view.read_for_prediction(
                        path, first.settings, check_speech
                    )
                    first_files.append((path, features))
                except MediaError as error:
                    problems.append(str(error))
            else:
                try:
                    items, item_problems = anchor.view.read_for_prediction(
                        path, anchor.settings, check_speech
                    )
                    problems += item_problems
                    anchor_files += items
                except MediaError as error:
                    problems.append(str(error))
        pairs, pair_problems = pair_by_take(first_files, anchor_files)
        problems += pair_problems
        for path, first_features, anchor_features in pairs:
            yield Item(str(path), path, [first_features, anchor_features])

    # -- speakers

    def _standardized(
        self,
        items: list[Item],
        grouping: str,
        enrollments: Enrollments | None,
        problems: list[str],
    ) -> tuple[list[np.ndarray], np.ndarray, list[tuple[str, int]]]:
        """Each input's features of the items standardised by speaker, the items kept, and how each met its speaker.

        A model that takes enrollments standardises each input by the ways its inputs
        allow (``speakers.standardize_by_ways``); one that standardises by the files given
        only drops the speakers with one file and standardises the others by all of theirs.
        """
        labels = [item.label for item in items]
        keep = np.ones(len(items), dtype=bool)
        standardized: list[np.ndarray | None] = [None] * len(self.inputs)
        used: list[tuple[str, int]] | None = None
        notes: list[str] = []
        if "enrollment" in self.ways:
            speakers = None if grouping == "none" else [speaker_of(item.name, grouping) for item in items]
            names = (
                [enrolled_name(item.name, grouping) for item in items] if enrollments is not None else None
            )
            for index, inp in enumerate(self.inputs):
                raw = _stacked([item.features[index] for item in items], inp.view.shape(inp.settings))
                if inp.ways is None:
                    standardized[index] = raw
                    continue
                enrolled = None
                if enrollments is not None:
                    enrolled = {name: e.features for name, e in enrollments.get(inp.name, {}).items()}
                result = standardize_by_ways(
                    raw, labels, inp.prior, speakers, names, enrolled, RELIABLE_SPEAKER_FILES
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
                problems += [p for p in result.problems if p not in problems]
                notes += [n for n in result.notes if n not in notes]
        else:
            speakers = np.array([speaker_of(item.name, grouping) for item in items])
            names, counts = np.unique(speakers, return_counts=True)
            alone = set(names[counts < 2].tolist())
            problems += [
                f"{label}: {speaker} has no other file here; this model normalizes every speaker by their own "
                "recordings, so give several files of each speaker"
                for label, speaker in zip(labels, speakers, strict=True)
                if speaker in alone
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


def speaker_paths(model: EmotionModel) -> tuple[str, ...]:
    """The ways ``model`` can meet a speaker (``Predictor.ways``); () when it standardises nothing per speaker."""
    return Predictor(model, model_inputs(model.metadata)).ways


def _stacked(features: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    """The features of some items as one array (n, ...); (0, ...) for none."""
    return np.stack(features).astype(np.float32) if features else np.zeros((0, *shape), np.float32)


def _shapes(shapes: list[tuple[int, ...]]) -> str:
    return " and ".join(str(tuple(int(d) for d in shape)) for shape in shapes)
