"""Fixtures shared by the feature tests: a writer of tiny synthetic H.264 clips."""

from pathlib import Path

import numpy as np
import pytest

from ravdess_emotion.corpus.demo import write_video_only


def _write_clip(path: Path, levels, size=(64, 48), fps=30) -> Path:
    """An H.264 clip (the demo's writer) whose frame ``i`` is flat grey at ``levels[i]``."""
    width, height = size
    frames = np.stack([np.full((height, width, 3), level, np.uint8) for level in levels])
    write_video_only(path, frames, fps)
    return path


@pytest.fixture(scope="session")
def write_clip():
    """``write_clip(path, levels, size=(64, 48), fps=30)``: a clip whose frame ``i`` is flat grey at ``levels[i]``."""
    return _write_clip
