"""The facial action-unit views: a vector per clip (means or statistics) and a sequence of frames.

Both read one face file per take (``ravdess_emotion.features.action_units``): its
per-frame tracking CSV when there is one, else its row of a clip table, the audio-video
clip's (01) before the video-only one's (02). ``settings.au_features`` chooses between
them (:data:`AU_VIEW_OF`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ravdess_emotion.core.errors import MediaError
from ravdess_emotion.core.ravdess import InvalidRavdessName, parse_name
from ravdess_emotion.corpus.tracking import looks_like_au_table, read_au_table
from ravdess_emotion.features.action_units import au_features_job
from ravdess_emotion.features.settings import AU_UNITS, FeatureSettings
from ravdess_emotion.features.views.base import FeatureView, ViewItem, register_view

AU_VIEW_OF = {"means": "au_clip", "statistics": "au_clip", "sequence": "au_sequence"}
"""The view that reads each value of ``FeatureSettings.au_features``."""


class ActionUnitView(FeatureView):
    """What both action-unit views share: one face file per take, standardised per speaker as ``au_normalization`` says."""

    label = "action units"
    settings_fields = ("au_features", "au_frames")
    cache_prefix = "au"
    side = "face"
    file_description = "facial action units"
    extensions = (".csv",)

    def select(self, rows: pd.DataFrame) -> pd.DataFrame:
        faces = rows[rows["content"].isin(["tracking", "au_means"])]
        # Per-frame tracking gives every AU feature, a table row only the means; 01 before 02.
        order = faces.assign(_rank=(faces["content"] != "tracking").astype(int))
        return order.sort_values(["_rank", "modality"]).drop_duplicates("take").drop(columns="_rank").copy()

    def extract(self, path: Path, settings: FeatureSettings) -> np.ndarray:
        return au_features_job(path, settings)

    def speaker_normalization(self, settings: FeatureSettings) -> str:
        return settings.au_normalization

    def read_for_prediction(
        self, path: Path, settings: FeatureSettings, check_speech: bool = True
    ) -> tuple[list[ViewItem], list[str]]:
        """A per-frame tracking CSV named like a RAVDESS clip is one clip; a clip table, one clip per row.

        A table (a ``name`` column of RAVDESS names and the AU columns,
        ``ravdess_emotion.corpus.tracking``) gives each row as ``TABLE.csv:NAME``, named
        ``NAME.csv`` beside it for its speaker and take; it holds means only. A row with a
        missing value is left out with a message.
        """
        try:
            parse_name(path)
        except InvalidRavdessName:
            return self._read_table(path, settings)
        return [ViewItem(str(path), path, self.extract(path, settings))], []

    def _read_table(self, path: Path, settings: FeatureSettings) -> tuple[list[ViewItem], list[str]]:
        try:
            with path.open("rb") as stream:
                header = stream.readline(1 << 16).decode("utf-8", errors="replace")
        except OSError as error:
            raise MediaError(f"{path}: cannot be read ({error})") from error
        if not looks_like_au_table(header):
            raise MediaError(
                f"{path}: neither a per-frame tracking CSV named like a RAVDESS clip nor a clip table "
                "(a 'name' column and the OpenFace AU columns)"
            )
        if settings.au_features != "means":
            raise MediaError(
                f"{path}: a clip table holds AU means only, and this model reads au_features="
                f"{settings.au_features!r}: give it the per-frame tracking CSVs"
            )
        table = read_au_table(path)
        values = table.drop(columns="name").to_numpy(np.float32)
        clips, problems = [], []
        for name, row in zip(table["name"], values, strict=True):
            if not np.isfinite(row).all():
                problems.append(f"{path}:{name}: a value of its AU columns is missing or not a number")
                continue
            clips.append(ViewItem(f"{path}:{name}", path.parent / f"{name}.csv", row))
        return clips, problems


class ClipActionUnitView(ActionUnitView):
    """The 35 AU means of a clip, or five statistics of each (175); ``zscore+rank`` adds each one's rank per speaker."""

    name = "au_clip"
    layout = "rows"

    def shape(self, settings: FeatureSettings) -> tuple[int, ...]:
        width = AU_UNITS * (5 if settings.au_features == "statistics" else 1)
        return (width * (2 if settings.au_normalization == "zscore+rank" else 1),)


class SequenceActionUnitView(ActionUnitView):
    """``au_frames`` frames of the 35 AUs, resampled evenly over the confident frames of a clip."""

    name = "au_sequence"
    layout = "frame_rows"

    def shape(self, settings: FeatureSettings) -> tuple[int, ...]:
        return (settings.au_frames, AU_UNITS)


AU_CLIP = register_view(ClipActionUnitView())
AU_SEQUENCE = register_view(SequenceActionUnitView())
