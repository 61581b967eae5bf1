"""The service of a saved model, as serve.py builds it: shared by the serving tests."""

from __future__ import annotations

import socket
from pathlib import Path

from ravdess_emotion.models import EmotionModel
from ravdess_emotion.prediction import Predictor
from ravdess_emotion.serving.service import EmotionService, Limits


def make_service(model: Path, enroll_dir: Path, limits: Limits | None = None) -> EmotionService:
    """The service of a saved model, as serve.py builds it."""
    return EmotionService(Predictor.of_model(EmotionModel.load(model), model), model.name, enroll_dir, limits)


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
