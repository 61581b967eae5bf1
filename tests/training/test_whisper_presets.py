"""``--preset whisper`` and ``--preset best``: Whisper-base's hidden states alone, and pooled with the functionals.

Accuracy on real RAVDESS is measured by ``benchmarks/whisper.py`` and ``benchmarks/faces.py``;
these tests check what the presets train and that their models predict like any other.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

import predict
import train_models
from ravdess_emotion.features.speakers import ENROLLMENT_SIZES
from ravdess_emotion.features.views import resolve_view, resolve_views
from ravdess_emotion.models import AudioAULateFusion, AudioEmotionLogistic, AudioViewsEnsemble, EmotionModel


def test_the_whisper_preset_is_logistic_regression_on_whisper_without_speed_copies() -> None:
    args = train_models.parse_args(
        ["--preset", "whisper", "--models", "audio-speech,audio-song,fusion-au-speech"]
    )
    speech, song, fusion = args.specs()
    assert args.audio_settings.audio_features == "whisper" and args.audio_settings.speaker_norm
    assert resolve_view("audio", args.audio_settings).shape(args.audio_settings) == (7168,)
    assert speech.model_class is AudioEmotionLogistic and speech.file_stem == "audio_emotion_speech_whisper"
    assert [s.speeds for s in (speech, song, fusion)] == [(), (), ()]
    assert speech.enrollment_sizes == ENROLLMENT_SIZES and fusion.enrollment_sizes is None
    # Audio + faces: late fusion of the Whisper model and the action-unit means.
    assert fusion.model_class is AudioAULateFusion
    settings = args.settings_for(fusion)
    assert [view.name for view in resolve_views(fusion.views, settings)] == ["whisper", "au_clip"]


def test_the_best_preset_pools_whisper_and_the_functionals_each_by_its_own_preset() -> None:
    args = train_models.parse_args(["--preset", "best", "--models", "audio-speech,fusion-au-speech"])
    speech, fusion = args.specs()
    assert speech.model_class is AudioViewsEnsemble and speech.file_stem == "audio_emotion_speech_best"
    assert speech.members == (("whisper", "whisper", ()), ("functionals", "functionals", ()))
    assert fusion.model_class is AudioAULateFusion and fusion.speeds == ()
    assert args.audio_settings == train_models.PRESETS["whisper"].feature_settings()
    # A member's recipe is its preset's: speed copies for the functionals on speech only.
    from ravdess_emotion.training.ensembles import member_configs

    configs = member_configs(speech, args)
    members = {view: next(iter(c.specs())) for view, c in configs.items()}
    assert members["whisper"].speeds == () and members["functionals"].speeds == (0.9, 0.95, 1.05, 1.1)
    assert configs["functionals"].audio_settings == train_models.PRESETS["functionals"].feature_settings()


@pytest.mark.slow
def test_the_best_preset_trains_saves_and_predicts_one_file_an_enrollment_and_a_batch(
    demo_audio: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dirs = [arg for name in ("models", "plots", "reports") for arg in (f"--{name}-dir", str(tmp_path / name))]
    options = [
        "--data-dir",
        str(demo_audio),
        "--models",
        "audio-speech",
        "--preset",
        "best",
        "--epochs",
        "3",
        "--test-actors",
        "6",
    ]
    assert train_models.main([*options, "--verbose", "0", *dirs]) == 0
    model_path = tmp_path / "models" / "audio_emotion_speech_best.h5"
    model = EmotionModel.load(model_path)
    assert isinstance(model, AudioViewsEnsemble) and model.views == ["whisper", "functionals"]
    assert model.metadata["members"]["whisper"]["features"]["audio_features"] == "whisper"
    run = json.loads((tmp_path / "reports" / "audio_emotion_speech_best_run.json").read_text())
    assert run["preset"] == "best"

    files = sorted(str(p) for p in (demo_audio / "audio" / "speech").rglob("*-06.wav"))[:4]

    def speaker_paths(*arguments: str) -> list[str]:
        capsys.readouterr()
        assert predict.main([str(model_path), *arguments, "--format", "csv"]) == 0
        return pd.read_csv(io.StringIO(capsys.readouterr().out))["speaker_path"].tolist()

    assert speaker_paths(*files) == ["batch"] * 4
    assert speaker_paths(files[0]) == ["independent"]
    enrolled = tmp_path / "enrolled"
    assert (
        predict.main(
            [str(model_path), "--enroll", files[1], "--enroll", files[2], "--save-enrollment", str(enrolled)]
        )
        == 0
    )
    assert sorted(p.parent.name for p in enrolled.rglob("*.npz")) == ["functionals", "whisper"]
    assert speaker_paths(files[0], "--enroll", str(enrolled)) == ["enrollment"]
