"""The Whisper benchmark's rows: each is the run its table row names (no training here)."""

import argparse
from pathlib import Path

import numpy as np
import pytest

from benchmarks import whisper
from benchmarks.options import row_config
from ravdess_emotion.models import MODEL_CLASSES, AudioEmotionLogistic, AudioViewsEnsemble


@pytest.mark.parametrize("network", list(whisper.NETWORKS))
def test_every_network_row_is_the_whisper_recipe_with_its_network(
    network: str, benchmark_options: argparse.Namespace, tmp_path: Path
) -> None:
    _, settings = whisper.NETWORKS[network]
    config = row_config(benchmark_options, tmp_path, "audio-speech", "whisper", tmp_path, **settings)
    (spec,) = config.specs()
    assert config.audio_settings == whisper.WHISPER and config.audio_settings.audio_features == "whisper"
    assert spec.speeds == () and spec.enrollment_sizes is not None  # the preset's prior, no speed copies
    expected = MODEL_CLASSES.get(str(settings.get("audio_model")), AudioEmotionLogistic)
    assert spec.model_class is expected


def test_the_ensemble_row_is_the_best_preset(benchmark_options: argparse.Namespace, tmp_path: Path) -> None:
    config = row_config(
        benchmark_options, tmp_path, "audio-song", "best", tmp_path, audio_settings=whisper.WHISPER
    )
    (spec,) = config.specs()
    assert spec.model_class is AudioViewsEnsemble and [view for view, _, _ in spec.members] == [
        "whisper",
        "functionals",
    ]


def test_a_probe_is_trained_on_training_and_validation_actors_only() -> None:
    # Two actors' labels are told apart by feature 0; the test actor's rows would teach the opposite.
    rng = np.random.default_rng(0)
    actors = np.repeat([1, 2, 3], 40)
    y = np.tile([0, 1], 60)
    X = rng.normal(size=(120, 5))
    X[:, 0] += np.where(actors == 3, -3.0, 3.0) * (2 * y - 1)
    split = type("Split", (), {"train": np.flatnonzero(actors == 1), "val": np.flatnonzero(actors == 2)})()
    split.test = np.flatnonzero(actors == 3)
    (row,) = whisper.probe_folds(X, y, actors, [split]).to_dict("records")
    assert row["fold"] == 1 and row["accuracy"] < 0.1  # it learned from actors 1 and 2, not from 3
