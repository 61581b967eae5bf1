"""What a feature view is, and the registry that names every view.

A *view* is one way of turning a recording into model input: an MFCC image, utterance
functionals, sampled video frames, facial action units. Each view lives in a module of
its own that defines a :class:`FeatureView` and registers it with :func:`register_view`.
The loader, the training inputs and the predictor look views up by name
(:func:`view_named`) and ask them what they need; none of them branches on which view
it holds. Adding a view means one new module and its tests.

A view declares:

- its ``name``, the word a model's recipe and ``FeatureSettings`` use for it;
- the ``settings_fields`` its features depend on, which form both its cache key and the
  key of a stored speaker enrollment (one list, so the two never disagree);
- which rows of an organized folder's manifest it reads (:meth:`FeatureView.select`);
- how to extract one file, or a batch of files with state that is set up once per
  worker process (:meth:`FeatureView.extract_batch`);
- the shape of one file's features as a model reads them (:meth:`FeatureView.shape`);
- how its features are standardised within a speaker (:meth:`FeatureView.speaker_normalization`
  and :attr:`FeatureView.layout`, carried out by ``ravdess_emotion.features.speakers``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ravdess_emotion.core.errors import MediaError
from ravdess_emotion.features.settings import FeatureSettings

LAYOUTS = ("rows", "coefficient_frames", "frame_rows")
"""How one file's features hold their frames, for the statistics of a speaker:

- ``rows``: one vector per file (a file is one frame);
- ``coefficient_frames``: (n_coefficients, n_frames), all-zero frames being padding
  that statistics leave out and standardisation keeps at zero (MFCC images);
- ``frame_rows``: (n_frames, n_features), every frame counting (action-unit sequences).
"""


@dataclass(frozen=True)
class ViewItem:
    """What a view reads from a file given to ``predict.py``: one item to predict, with its raw features.

    Attributes
    ----------
    label : str
        How the output names it: the file, or ``TABLE.csv:NAME`` for a row of a table.
    name : Path
        A path whose file name is the item's RAVDESS name, for its speaker and take.
    features : np.ndarray
        Its raw features, of the view's shape.
    span : tuple of float or None
        Start and end (s) of a window of a recording longer than one model input, None
        for a whole file.
    duration_s : float or None
        How long the recording is (s), for views that read audio.
    """

    label: str
    name: Path
    features: np.ndarray
    span: tuple[float, float] | None = None
    duration_s: float | None = None


class FeatureView:
    """One kind of model input, computed from one file.

    Subclasses set the class attributes and implement :meth:`select`, :meth:`shape` and
    :meth:`extract` (or :meth:`extract_batch`); one instance per view is registered.

    Attributes
    ----------
    name : str
        The registry's name of the view.
    label : str
        How progress bars and messages name its features (``"MFCC"``).
    settings_fields : tuple of str
        The ``FeatureSettings`` fields its features depend on.
    cache_prefix : str
        The first word of its cache files' names (``audio_speech_<hash>.npz``), which
        is also the ``kind`` inside their key.
    side : str
        What its files are, in messages about a take's files: ``"audio"``, ``"face"``
        or ``"video"``.
    file_description : str
        What a take lacks when this view has no file for it (``"audio-only file"``).
    fallback_description : str
        What of a take's paired file this view reads when the take has no file of its own
        (``"the clip's soundtrack"``).
    extensions : tuple of str
        The file extensions it reads (lower case).
    reads_audio : bool
        Whether it decodes audio: its numba code is compiled before extraction workers
        start, and ``predict.py`` checks its input for speech.
    streamed : bool
        Whether a dataset of this view stays on disk and is read batch by batch
        (video frames, through the frame store) instead of one cached array.
    batch_size : int
        Files per extraction task: above 1 for a view whose extractor holds state (a
        network) that is set up once per worker and runs on several files at once.
    layout : str
        One of :data:`LAYOUTS`.
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    settings_fields: ClassVar[tuple[str, ...]] = ()
    cache_prefix: ClassVar[str] = ""
    side: ClassVar[str] = ""
    file_description: ClassVar[str] = ""
    fallback_description: ClassVar[str] = "the paired file"
    extensions: ClassVar[tuple[str, ...]] = ()
    reads_audio: ClassVar[bool] = False
    streamed: ClassVar[bool] = False
    batch_size: ClassVar[int] = 1
    layout: ClassVar[str] = "rows"

    # -- which files

    def select(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The rows of one channel's manifest (``organize_data.py``) that this view reads."""
        raise NotImplementedError

    def pair_rows(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The rows that define the takes of a model pairing this view with others (default: :meth:`select`).

        The last view of a multi-view model chooses the takes; the others read their
        own file of each take (:meth:`select`), or this row's file when they have none
        and can read it.
        """
        return self.select(rows)

    def pair_description(self) -> str:
        """What a take lacks when it has no row of :meth:`pair_rows` (in messages)."""
        return self.file_description

    def reads(self, path: str | Path) -> bool:
        """Whether this view can compute its features from ``path`` (by its extension)."""
        return Path(path).suffix.lower() in self.extensions

    # -- what it computes

    def shape(self, settings: FeatureSettings) -> tuple[int, ...]:
        """One file's features as a model reads them (after any standardisation)."""
        raise NotImplementedError

    def extract(self, path: Path, settings: FeatureSettings) -> np.ndarray:
        """One file's raw features, shaped as stored (see :meth:`shape`).

        Raises
        ------
        MediaError
            When the file cannot be decoded or holds nothing to compute from.
        """
        raise NotImplementedError

    def extract_batch(self, paths: Sequence[Path], settings: FeatureSettings) -> list[np.ndarray | str]:
        """The raw features of every file of ``paths``, in order; a file that fails gives its message instead.

        The default extracts one file at a time. A view with ``batch_size`` above 1
        overrides this to set its state up once per process and run on several files at once.
        """
        results: list[np.ndarray | str] = []
        for path in paths:
            try:
                results.append(self.extract(path, settings))
            except MediaError as error:
                results.append(str(error))
        return results

    def read_for_prediction(
        self, path: Path, settings: FeatureSettings, check_speech: bool = True
    ) -> tuple[list[ViewItem], list[str]]:
        """What a file given to ``predict.py`` holds for this view.

        Returns
        -------
        items : list of ViewItem
            One item per file, unless the view reads several from one (a table of
            action units, the windows of a long recording).
        problems : list of str
            A message for every part of the file that could not be read.

        Raises
        ------
        MediaError
            When the file cannot be read at all; with ``check_speech`` an audio view
            raises ``NoSpeechError`` for audio that holds no voice.
        """
        return [ViewItem(str(path), path, self.extract(path, settings))], []

    def window_seconds(self, settings: FeatureSettings) -> float | None:
        """How many seconds of audio one model input covers, or None for a view that reads a whole file (default).

        ``predict.py`` reads a recording longer than the window as overlapping windows.
        """
        return None

    def source_of(self, path: Path, anchor: FeatureView) -> Path:
        """The file this view reads for a take given as ``path``, a file of the ``anchor`` view (default: ``path``)."""
        return path

    def warm_up(self, settings: FeatureSettings) -> None:
        """Compile or load, in this process, what workers would otherwise each prepare at once (default: nothing)."""

    def model_input(self, features: np.ndarray) -> np.ndarray:
        """Stored features as a model reads them (default: unchanged)."""
        return features

    # -- keys

    def key_settings(self, settings: FeatureSettings) -> dict[str, Any]:
        """The values of ``settings_fields``: what a cache or an enrollment of this view was computed with."""
        values = settings.to_dict()
        return {field: values[field] for field in self.settings_fields}

    def cache_key_fields(self, settings: FeatureSettings) -> dict[str, Any]:
        """Everything besides the files and the code's version that this view's cache key holds."""
        return {"settings": self.key_settings(settings)}

    # -- speakers

    def speaker_normalization(self, settings: FeatureSettings) -> str:
        """How ``settings`` standardise these features within a speaker: ``"none"``, ``"zscore"`` or ``"zscore+rank"``."""
        return "none"

    def __repr__(self) -> str:
        return f"<feature view {self.name!r}>"


_VIEWS: dict[str, FeatureView] = {}


def register_view(view: FeatureView) -> FeatureView:
    """Add ``view`` to the registry under ``view.name`` and return it.

    Raises
    ------
    ValueError
        When the view has no name, a layout that is not one of :data:`LAYOUTS`, or the
        name is taken by another view.
    """
    if not view.name or view.layout not in LAYOUTS:
        raise ValueError(f"{view!r}: a view needs a name and a layout among {', '.join(LAYOUTS)}")
    known = _VIEWS.get(view.name)
    if known is not None and type(known) is not type(view):
        raise ValueError(f"a view named {view.name!r} is already registered ({type(known).__name__})")
    _VIEWS[view.name] = view
    return view


def view_named(name: str) -> FeatureView:
    """The registered view of that name.

    Raises
    ------
    ValueError
        Naming the registered views when there is none of that name.
    """
    try:
        return _VIEWS[name]
    except KeyError:
        raise ValueError(f"no feature view {name!r}; registered views: {', '.join(sorted(_VIEWS))}") from None


def registered_views() -> dict[str, FeatureView]:
    """Every registered view by name."""
    return dict(_VIEWS)
