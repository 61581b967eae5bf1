"""The whole pipeline on synthetic demo data at tiny size, the audio and action-unit models: organize → features → train → predict.

The video and audio+video models of the same demo are ``tests/test_end_to_end_video.py``;
both read the demo of ``tests/end_to_end.py``. Demo numbers say nothing about RAVDESS.
"""

import json
import re
from pathlib import Path

import pandas as pd
import pytest

import predict
from ravdess_emotion.core.ravdess import EMOTIONS, SYNTHETIC_NOTICE
from tests.end_to_end import check_above_chance, check_labelled_synthetic, check_saved, train_on_demo

pytestmark = pytest.mark.slow  # every test here trains models or runs the scripts end to end

AUDIO_MODELS = "audio-speech,audio-song"  # the default --preset cnn-lstm
FACE_MODELS = "au-speech,au-song,fusion-au-speech"  # the demo's tracking CSVs; fusion reuses the MFCC cache
TRAINED = [*AUDIO_MODELS.split(","), *FACE_MODELS.split(",")]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return train_on_demo(tmp_path_factory, "audio_and_face_models", AUDIO_MODELS, FACE_MODELS)


def test_every_model_and_plot_lands_on_disk(pipeline: dict[str, object]) -> None:
    check_saved(pipeline)


def test_held_out_demo_actors_are_recognised_above_chance(pipeline: dict[str, object]) -> None:
    check_above_chance(pipeline["out"], TRAINED)


def test_everything_trained_on_demo_data_says_so(pipeline: dict[str, Path], capsys) -> None:
    summary_md = (pipeline["reports"] / "summary.md").read_text()
    assert summary_md.startswith(f"**{SYNTHETIC_NOTICE}.**")
    summary = pd.read_csv(pipeline["reports"] / "summary.csv")
    assert (summary["data"] == "SYNTHETIC demo").all()
    check_labelled_synthetic(pipeline["out"], TRAINED)
    model = str(pipeline["models"] / "audio_emotion_speech.h5")
    wav = next((pipeline["organized"] / "audio" / "speech").rglob("*.wav"))
    assert predict.main([model, str(wav)]) == 0  # one recording alone: the default model serves it
    out = capsys.readouterr().out
    assert "model trained on SYNTHETIC demo data" in out and "independent" in out
    assert predict.main([model, str(wav), "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)[0]["path"] == str(wav)  # stdout stays parseable
    assert "model trained on SYNTHETIC demo data" in captured.err


def test_confusion_matrices_show_every_emotion_of_the_channel(pipeline: dict[str, Path]) -> None:
    # Song has six emotions; the report lists each with its support (2 test actors x 2 statements),
    # also one that was never predicted.
    report = (pipeline["reports"] / "audio_emotion_song_classification_report.txt").read_text()
    for emotion in EMOTIONS[:6]:
        assert re.search(rf"^\s+{emotion}\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+4$", report, re.MULTILINE), report


@pytest.mark.parametrize("output", ["table", "csv", "json"])
def test_predict_prints_every_format(pipeline: dict[str, Path], output: str, capsys) -> None:
    folder = pipeline["organized"] / "audio" / "speech" / "angry"
    status = predict.main(
        [str(pipeline["models"] / "audio_emotion_speech.h5"), str(folder), "--format", output]
    )
    assert status == 0
    text = capsys.readouterr().out
    files = sorted(folder.glob("*.wav"))
    if output == "csv":
        table = pd.read_csv(pd.io.common.StringIO(text))
        # The recording's length, the windows its MFCC model read it in, and (the default model
        # standardises per speaker) how it knew each file's speaker.
        columns = ["path", "predicted", *EMOTIONS, "duration_s", "windows", "speaker_path", "speaker_files"]
        assert list(table.columns) == columns
        assert (table["duration_s"] > 0).all() and (table["windows"] >= 1).all()
        assert len(table) == len(files)
        actors = pd.Series([f.stem[-2:] for f in files])
        assert table["speaker_path"].eq("batch").all()
        assert table["speaker_files"].tolist() == actors.map(actors.value_counts()).tolist()
        assert set(table["predicted"]) <= set(EMOTIONS)
        assert ((table[list(EMOTIONS)].sum(axis=1) - 1).abs() < 1e-3).all()
    elif output == "json":
        records = json.loads(text)
        assert [Path(r["path"]).name for r in records] == [f.name for f in files]
    else:
        assert "predicted" in text and files[0].name in text


def test_predict_with_action_unit_models(pipeline: dict[str, Path], capsys) -> None:
    faces = pipeline["organized"] / "faces" / "speech"
    clips = sorted(faces.rglob("01-01-0[1-8]-01-01-0?-12.csv"))  # 8 emotions x 2 repetitions of actor 12
    model = str(pipeline["models"] / "au_emotion_speech.h5")
    assert predict.main([model, *map(str, clips), "--format", "csv"]) == 0
    table = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out))
    assert table["path"].tolist() == [str(c) for c in clips]
    voices = sorted((pipeline["organized"] / "audio" / "speech").rglob("03-01-0[1-8]-01-01-0?-12.wav"))
    model = str(pipeline["models"] / "fusion_au_emotion_speech.h5")
    assert predict.main([model, *map(str, voices[:-1]), *map(str, clips), "--format", "csv"]) == 0
    captured = capsys.readouterr()
    table = pd.read_csv(pd.io.common.StringIO(captured.out))
    assert table["path"].tolist() == [str(v) for v in voices[:-1]]  # one row per take, named by its audio
    assert f"take {voices[-1].name[3:-4]} has no audio file among the inputs" in captured.err


def test_predict_reports_bad_input(pipeline: dict[str, Path], tmp_path: Path, capsys) -> None:
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF nonsense")
    good = next((pipeline["organized"] / "audio" / "song").rglob("*.wav"))
    model = str(pipeline["models"] / "audio_emotion_song.keras")
    assert predict.main([model, str(broken), str(good)]) == 0
    captured = capsys.readouterr()
    assert "broken.wav" in captured.err and good.name in captured.out
    assert predict.main([model, str(tmp_path / "missing.wav")]) == 2
    assert "no such file" in capsys.readouterr().err
    not_a_model = tmp_path / "model.h5"
    not_a_model.write_bytes(b"")
    assert predict.main([str(not_a_model), str(good)]) == 2
    assert "model.h5" in capsys.readouterr().err
