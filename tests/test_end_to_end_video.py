"""The whole pipeline on synthetic demo data at tiny size, the video and audio+video models: train → predict.

They read the organized demo and its features of ``tests/end_to_end.py``, as
``tests/test_end_to_end.py`` (the audio and action-unit models) does; the two modules run on
two workers at once. Demo numbers say nothing about RAVDESS.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import predict
from ravdess_emotion.core.ravdess import EMOTIONS
from tests.end_to_end import check_above_chance, check_labelled_synthetic, check_saved, train_on_demo

pytestmark = pytest.mark.slow  # every test here trains models or runs the scripts end to end

VIDEO_MODELS = "video-speech,video-song,fusion-speech"


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return train_on_demo(tmp_path_factory, "video_models", VIDEO_MODELS)


def test_every_model_and_plot_lands_on_disk(pipeline: dict[str, object]) -> None:
    check_saved(pipeline)


def test_held_out_demo_actors_are_recognised_above_chance(pipeline: dict[str, object]) -> None:
    check_above_chance(pipeline["out"], VIDEO_MODELS.split(","))


def test_everything_trained_on_demo_data_says_so(pipeline: dict[str, object]) -> None:
    check_labelled_synthetic(pipeline["out"], VIDEO_MODELS.split(","))


def test_predict_with_video_and_fusion_models(pipeline: dict[str, Path], capsys) -> None:
    clips = sorted((pipeline["organized"] / "video" / "speech" / "happy").glob("01-*-12.mp4"))
    for model in ("video_emotion_speech.keras", "fusion_emotion_speech.h5"):
        assert predict.main([str(pipeline["models"] / model), *map(str, clips), "--format", "csv"]) == 0
        table = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out))
        assert len(table) == len(clips)


def test_fusion_prediction_uses_the_audio_twin_or_the_soundtrack(
    pipeline: dict[str, Path], tmp_path: Path, capsys
) -> None:
    model = str(pipeline["models"] / "fusion_emotion_speech.h5")
    clip = next((pipeline["organized"] / "video" / "speech" / "sad").glob("01-*.mp4"))
    assert predict.audio_twin(clip) == clip  # the organized twin lies in audio/, not beside it

    def probabilities(path: Path) -> tuple[np.ndarray, str]:
        assert predict.main([model, str(path), "--format", "json", "--no-speech-check"]) == 0
        captured = capsys.readouterr()
        row = json.loads(captured.out)[0]
        assert row["path"] == str(path)
        return np.array([row[e] for e in EMOTIONS]), captured.err

    soundtrack, _ = probabilities(clip)
    # A twin beside the clip is the audio it reads: another take's voice changes the prediction.
    with_twin = tmp_path / "twin" / clip.name
    with_twin.parent.mkdir()
    with_twin.write_bytes(clip.read_bytes())
    twin = with_twin.with_name("03" + clip.name[2:].replace(".mp4", ".wav"))
    other_voice = next((pipeline["organized"] / "audio" / "speech" / "angry").glob("03-*.wav"))
    twin.write_bytes(other_voice.read_bytes())
    assert predict.audio_twin(with_twin) == twin
    assert not np.allclose(probabilities(with_twin)[0], soundtrack, atol=1e-4)
    # An empty (or otherwise broken) twin: the clip's own soundtrack, with a note, not a skipped clip.
    twin.write_bytes(b"")
    fallback, err = probabilities(with_twin)
    np.testing.assert_allclose(fallback, soundtrack, atol=1e-6)
    assert f"using the soundtrack of {with_twin} instead" in err and twin.name in err
