"""The action-unit models through the scripts a user runs: organize a clip table, train, save, predict.

The AU table is synthetic (an emotion pattern over actor-specific offsets and gains), so
held-out actors must be recognised well above chance; these numbers say nothing about
RAVDESS (``benchmarks/faces.py`` measures that).
"""

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

import organize_data
import predict
import train_models
from ravdess_emotion.core.ravdess import EMOTIONS, RavdessName
from ravdess_emotion.corpus.tracking import AU_COLUMNS
from ravdess_emotion.models import AudioAULateFusion, AUEmotionLogistic, EmotionModel

pytestmark = pytest.mark.slow  # every test here trains models or runs the scripts end to end

ACTORS = range(1, 7)


def _speech_takes(actor: int) -> list[RavdessName]:
    return [
        RavdessName(1, 1, emotion, intensity, statement, repetition, actor)
        for emotion in range(1, 9)
        for intensity in ((1,) if emotion == 1 else (1, 2))
        for statement in (1, 2)
        for repetition in (1, 2)
    ]


def _au_table(path: Path, actors=ACTORS) -> Path:
    rng = np.random.default_rng(0)
    patterns = rng.uniform(0, 1.5, (8, 35))
    rows = []
    for actor in actors:
        offset, gain = rng.uniform(0, 2, 35), rng.uniform(0.5, 1.5, 35)
        for name in _speech_takes(actor):
            values = offset + gain * patterns[name.emotion - 1] * name.intensity + rng.normal(0, 0.4, 35)
            rows.append([name.stem, *values.clip(0, 5)])
    pd.DataFrame(rows, columns=["name", *AU_COLUMNS]).to_csv(path, index=False)
    return path


def _voices(folder: Path, actors=ACTORS) -> None:
    """A short tone per take whose pitch and loudness follow the emotion (the audio side of fusion).

    0.6 s: predict.py refuses recordings under 0.5 s as too short.
    """
    rng = np.random.default_rng(1)
    t = np.arange(9600) / 16000
    for actor in actors:
        (folder / f"Actor_{actor:02d}").mkdir(parents=True, exist_ok=True)
        for name in _speech_takes(actor):
            pitch = 110 + 15 * name.emotion + 10 * actor
            voice = (0.1 + 0.04 * name.emotion) * np.sin(2 * np.pi * pitch * t) + rng.normal(0, 0.01, len(t))
            sf.write(folder / f"Actor_{actor:02d}" / name.with_modality(3).filename(), voice, 16000)


@pytest.fixture(scope="module")
def organized(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("faces")
    source = root / "source"
    source.mkdir()
    _au_table(source / "au_means.csv")
    _voices(source, actors=range(1, 6))  # actor 6 has faces only
    assert organize_data.main(["--source", str(source), "--dest", str(root / "organized")]) == 0
    return root / "organized"


def _train(organized: Path, root: Path, models: str, *extra: str) -> int:
    dirs = [arg for name in ("models", "plots", "reports") for arg in (f"--{name}-dir", str(root / name))]
    return train_models.main(
        [
            "--data-dir",
            str(organized),
            "--models",
            models,
            "--preset",
            "functionals",
            "--verbose",
            "0",
            # The preset's speed copies of speech would extract every voice five times; pairing
            # and prediction are the same without them.
            "--speed-perturbation",
            "none",
            *dirs,
            *extra,
        ]
    )


def _prediction_table(capsys) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(capsys.readouterr().out))


def test_au_model_trains_saves_and_predicts_a_clip_table(organized: Path, tmp_path: Path, capsys) -> None:
    assert _train(organized, tmp_path, "au-speech", "--test-actors", "5-6", "--epochs", "30") == 0
    model_path = tmp_path / "models" / "au_emotion_speech_functionals.h5"
    metadata = json.loads(model_path.with_suffix(".json").read_text())
    assert metadata["model_class"] == "AUEmotionLogistic" and metadata["kind"] == "au"
    assert (metadata["features"]["au_features"], metadata["features"]["au_normalization"]) == (
        "means",
        "zscore+rank",
    )
    assert metadata["metrics"]["accuracy"] > 0.6  # chance is 0.125
    assert isinstance(EmotionModel.load(model_path), AUEmotionLogistic)
    capsys.readouterr()

    table = _au_table(tmp_path / "clips.csv", actors=(6,))
    lone = tmp_path / "lone.csv"
    pd.read_csv(table).assign(name="01-01-03-01-01-01-07").head(1).to_csv(lone, index=False)
    assert predict.main([str(model_path), str(table), str(lone), "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    predictions = pd.read_csv(io.StringIO(out))
    assert len(predictions) == 60
    assert predictions["path"].iloc[0] == f"{table}:01-01-01-01-01-01-06"
    truth = predictions["path"].str.split(":").str[-1].str[6:8].astype(int) - 1
    assert (predictions["predicted"].map(EMOTIONS.index) == truth).mean() > 0.6
    assert f"{lone}:01-01-03-01-01-01-07: actor 07 has no other file here" in err


def test_au_model_refuses_files_it_cannot_read(organized: Path, tmp_path: Path, capsys) -> None:
    assert _train(organized, tmp_path, "au-speech", "--test-actors", "6", "--epochs", "2") == 0
    model = str(tmp_path / "models" / "au_emotion_speech_functionals.h5")
    notes = tmp_path / "notes.csv"
    notes.write_text("when,what\nmonday,recorded\n")
    capsys.readouterr()
    assert predict.main([model, str(notes)]) == 1
    assert (
        "neither a per-frame tracking CSV named like a RAVDESS clip nor a clip table"
        in capsys.readouterr().err
    )


def test_fusion_au_model_pairs_audio_and_faces_by_take(organized: Path, tmp_path: Path, capsys) -> None:
    assert _train(organized, tmp_path, "fusion-au-speech", "--test-actors", "5", "--epochs", "30") == 0
    model_path = tmp_path / "models" / "fusion_au_emotion_speech_functionals.h5"
    model = EmotionModel.load(model_path)
    assert isinstance(model, AudioAULateFusion)
    assert 0 <= model.metadata["audio_weight"] <= 1
    assert [tuple(t.shape[1:]) for t in model.model.inputs] == [(1456,), (70,)]  # AU z-scores and ranks
    run = json.loads((tmp_path / "reports" / "fusion_au_emotion_speech_functionals_run.json").read_text())
    assert run["test_actors"] == [5] and 6 not in run["train_actors"] + run["val_actors"]  # no audio
    capsys.readouterr()

    audio = tmp_path / "audio"
    _voices(audio, actors=(5,))
    table = _au_table(tmp_path / "clips.csv", actors=(5,))
    faces = pd.read_csv(table)
    faces[faces["name"] != "01-01-08-02-02-02-05"].to_csv(table, index=False)
    assert (
        predict.main([str(model_path), str(audio), str(table), "--format", "csv", "--no-speech-check"]) == 0
    )
    out, err = capsys.readouterr()
    predictions = pd.read_csv(io.StringIO(out))
    assert len(predictions) == 59
    assert predictions["path"].str.endswith(".wav").all()
    assert (
        "03-01-08-02-02-02-05.wav: take 01-08-02-02-02-05 has no facial action units among the inputs" in err
    )
