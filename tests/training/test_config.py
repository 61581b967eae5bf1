"""RunConfig: one frozen configuration per run, built from the command line in one place, saved and read back."""

from __future__ import annotations

import dataclasses
import json

import pytest

import train_models
from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.models import AudioEmotionLogistic, AudioEmotionMLP
from ravdess_emotion.training.config import DEFAULT_TEST_ACTORS, RunConfig
from ravdess_emotion.training.recipes import PRESETS


def test_defaults_are_the_command_lines() -> None:
    assert train_models.parse_args([]) == RunConfig()
    best = ["--preset", "functionals", "--models", "audio-speech", "--folds", "5"]
    assert train_models.parse_args(best) == RunConfig(models=("audio-speech",), preset="functionals", folds=5)


def test_none_takes_the_presets_value_and_given_values_win() -> None:
    best = RunConfig(preset="functionals", models=("audio-speech", "video-speech"))
    audio, video = best.specs()
    assert (audio.patience, audio.refit) == (PRESETS["functionals"].patience, PRESETS["functionals"].refit)
    assert (video.patience, video.refit) == (10, False)  # video: the seed's under every preset
    assert (
        best.audio_settings == PRESETS["functionals"].feature_settings()
        and best.video_settings == FeatureSettings()
    )
    mine = RunConfig(
        preset="functionals", patience=3, refit=False, speed_perturbation=(), audio_model="AudioEmotionMLP"
    )
    assert {(spec.patience, spec.refit) for spec in mine.specs()} == {(3, False)}
    audio = mine.specs()[0]
    assert audio.model_class is AudioEmotionMLP and audio.speeds == ()
    assert RunConfig(preset="functionals").specs()[0].model_class is AudioEmotionLogistic


def test_it_is_frozen_and_plain() -> None:
    config = RunConfig(data_dir="elsewhere", test_actors=[24, 21])  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.seed = 1  # type: ignore[misc]
    assert config.test_actors == (21, 24) and str(config.data_dir) == "elsewhere"
    plain = json.loads(json.dumps(config.to_dict()))  # every value is plain JSON
    assert RunConfig.from_dict(plain) == config
    assert RunConfig().test_actors == DEFAULT_TEST_ACTORS


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"models": ("audio-whisper",)}, "unknown model"),
        ({"preset": "fast"}, "unknown preset"),
        ({"audio_model": "AudioEmotionSVM"}, "unknown audio model"),
        ({"speed_perturbation": (1.0,)}, "differ from 1.0"),
        ({"folds": 5, "val_actors": (3,)}, "cannot be combined with --folds"),
        ({"audio_settings": None, "preset": "seed", "models": ()}, "unknown model"),
        ({"patience": -1}, "patience must be 0"),
    ],
)
def test_a_bad_configuration_says_what_is_wrong(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RunConfig(**options)  # type: ignore[arg-type]
