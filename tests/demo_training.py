"""A speech model trained on the session's demo voices through ``train_models.py``, as a user trains one."""

from __future__ import annotations

from pathlib import Path

import train_models


def train_on_demo(demo_audio: Path, root: Path, preset: str, *options: str) -> Path:
    """Train ``--models audio-speech --preset PRESET`` (test actor 6, validation actor 5) into ``root``; its ``.h5``.

    ``options`` go to ``train_models.py`` as given (``--epochs 3``, ``--enrollment-copies none``...).
    """
    dirs = [arg for kind in ("models", "plots", "reports") for arg in (f"--{kind}-dir", str(root / kind))]
    args = ["--data-dir", str(demo_audio), "--models", "audio-speech", "--preset", preset]
    args += ["--test-actors", "6", "--val-actors", "5", "--verbose", "0", *options, *dirs]
    assert train_models.main(args) == 0
    suffix = "" if preset == "cnn-lstm" else f"_{preset}"
    return root / "models" / f"audio_emotion_speech{suffix}.h5"
