"""The video-frames view: ``video_frames`` frames sampled evenly over a clip, face-cropped and resized.

A dataset of frames stays on disk in the frame store (``ravdess_emotion.features.frames``)
and is read batch by batch, so it is ``streamed``. One clip per take is read, its
video-only file (02) when there is one: it holds the same picture as the audio-video
clip (01). Paired with audio (the fusion model), the takes are those of audio-video
clips, which carry the take's sound.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ravdess_emotion.core.ravdess import VIDEO_EXTENSIONS
from ravdess_emotion.features.clips import scale_frames
from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.video import sample_frames_job
from ravdess_emotion.features.views.base import FeatureView, register_view


class FramesView(FeatureView):
    """uint8 frames (video_frames, height, width, 3) as stored; a model reads them as float32 in [0, 1]."""

    name = "frames"
    label = "frames"
    settings_fields = ("video_frames", "video_size", "face_crop")
    cache_prefix = "frames"
    side = "video"
    file_description = "video clip"
    extensions = VIDEO_EXTENSIONS
    streamed = True

    def select(self, rows: pd.DataFrame) -> pd.DataFrame:
        video = rows[rows["content"] == "video"]
        return video.sort_values("modality", ascending=False).drop_duplicates("take").copy()

    def pair_rows(self, rows: pd.DataFrame) -> pd.DataFrame:
        video = rows[rows["content"] == "video"]
        return video[video["modality"] == 1].copy()

    def pair_description(self) -> str:
        return "audio-video clip"

    def shape(self, settings: FeatureSettings) -> tuple[int, ...]:
        return (settings.video_frames, *settings.video_size, 3)

    def extract(self, path: Path, settings: FeatureSettings) -> np.ndarray:
        return sample_frames_job(path, settings)

    def model_input(self, features: np.ndarray) -> np.ndarray:
        return scale_frames(features)


FRAMES = register_view(FramesView())
