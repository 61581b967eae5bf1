"""The whole pipeline on synthetic demo data at tiny size: organize → features → train → predict.

The demo's emotion cues are learnable by design, so models tested on demo actors they
never saw must beat chance clearly; a pipeline that cannot is broken. These numbers
say nothing about accuracy on RAVDESS.
"""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import data_loader
import organize_data
import predict
import train_models
from ravdess_emotion.core.ravdess import EMOTIONS, SYNTHETIC_NAME, SYNTHETIC_NOTICE
from ravdess_emotion.corpus.demo import write_demo_dataset
from ravdess_emotion.training.config import RunConfig

pytestmark = pytest.mark.slow  # every test here trains models or runs the scripts end to end

ACTORS = range(1, 13)
TEST_ACTORS = "11-12"
SIZES = ["--video-frames", "8", "--video-size", "32"]
# Twice chance (1/8 for speech, 1/6 for song): room for the nondeterminism of a
# 15-epoch run on 8 training actors, while a pipeline that learns nothing fails.
# Measured with this seed on the CPU, the audio models of the default --preset cnn-lstm included:
# 0.50 (video-speech) to 0.94 (fusion-au-speech), audio 0.59 speech and 0.62 song (2026-12-03).
MINIMUM_ACCURACY = {
    "audio-speech": 2 / 8,
    "audio-song": 2 / 6,
    "video-speech": 2 / 8,
    "video-song": 2 / 6,
    "fusion-speech": 2 / 8,
    "au-speech": 2 / 8,
    "au-song": 2 / 6,
    "fusion-au-speech": 2 / 8,
}
FACE_MODELS = "au-speech,au-song,fusion-au-speech"
TRAINED = [train_models.MODEL_SPECS[name] for name in MINIMUM_ACCURACY]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("demo")
    source, organized = root / "source", root / "organized"
    write_demo_dataset(source, actors=ACTORS, video_size=(64, 36), progress=False)
    assert organize_data.main(["--source", str(source), "--dest", str(organized)]) == 0
    assert data_loader.main(["--data-dir", str(organized), *SIZES]) == 0
    dirs = {name: root / name for name in ("models", "plots", "reports")}
    argv = [
        "--data-dir",
        str(organized),
        *SIZES,
        "--epochs",
        "15",
        "--patience",
        "6",
        "--test-actors",
        TEST_ACTORS,
        "--verbose",
        "0",
        *(arg for name, path in dirs.items() for arg in (f"--{name}-dir", str(path))),
    ]
    assert train_models.main(argv) == 0
    # The action-unit models read the demo's tracking CSVs; the fusion one reuses the MFCC cache.
    assert train_models.main([*argv, "--models", FACE_MODELS]) == 0
    return {"organized": organized, **dirs, "argv": argv}


def test_every_model_and_plot_lands_on_disk(pipeline: dict[str, Path]) -> None:
    for spec in TRAINED:
        for suffix in (".h5", ".keras", ".json"):
            assert (pipeline["models"] / f"{spec.file_stem}{suffix}").is_file()
        for plot in ("history", "confusion"):
            assert (pipeline["plots"] / f"{spec.file_stem}_{plot}.png").stat().st_size > 10_000
        metadata = json.loads((pipeline["models"] / f"{spec.file_stem}.json").read_text())
        # The model carries the run's whole configuration: the command line, as one RunConfig.
        argv = pipeline["argv"] + (["--models", FACE_MODELS] if spec.name in FACE_MODELS.split(",") else [])
        assert RunConfig.from_dict(metadata["run"]) == train_models.parse_args(argv)
        run = json.loads((pipeline["reports"] / f"{spec.file_stem}_run.json").read_text())
        assert run["test_actors"] == [11, 12]
        assert not set(run["train_actors"]) & set(run["val_actors"])
        assert not set(run["train_actors"] + run["val_actors"]) & {11, 12}
        assert run["versions"]["keras"]
    assert not (pipeline["models"] / ".backup").exists() or not any(
        (pipeline["models"] / ".backup").iterdir()
    )


def test_held_out_demo_actors_are_recognised_above_chance(pipeline: dict[str, Path]) -> None:
    summary = pd.read_csv(pipeline["reports"] / "summary.csv").set_index("model")
    assert (summary["evaluated_on"] == "test").all()
    for model, minimum in MINIMUM_ACCURACY.items():
        assert summary.loc[model, "accuracy"] >= minimum, summary.to_string()


def test_everything_trained_on_demo_data_says_so(pipeline: dict[str, Path], capsys) -> None:
    summary_md = (pipeline["reports"] / "summary.md").read_text()
    assert summary_md.startswith(f"**{SYNTHETIC_NOTICE}.**")
    summary = pd.read_csv(pipeline["reports"] / "summary.csv")
    assert (summary["data"] == "SYNTHETIC demo").all()
    for spec in TRAINED:
        metadata = json.loads((pipeline["models"] / f"{spec.file_stem}.json").read_text())
        assert metadata["synthetic_data"] is True
        for plot in ("history", "confusion"):
            with Image.open(pipeline["plots"] / f"{spec.file_stem}_{plot}.png") as image:
                title = image.info["Title"]
            # Says demo data, names the model file and preset (video: none, the same under every
            # preset), and what the plot shows.
            assert title.startswith(SYNTHETIC_NAME) and f"{spec.file_stem}.h5" in title
            assert ("preset cnn-lstm" in title) == (spec.kind not in ("video", "fusion")), title
            assert ("first fit" in title) == (plot == "history")
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


def test_predict_with_video_and_fusion_models(pipeline: dict[str, Path], capsys) -> None:
    clips = sorted((pipeline["organized"] / "video" / "speech" / "happy").glob("01-*-12.mp4"))
    for model in ("video_emotion_speech.keras", "fusion_emotion_speech.h5"):
        assert predict.main([str(pipeline["models"] / model), *map(str, clips), "--format", "csv"]) == 0
        table = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out))
        assert len(table) == len(clips)


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
