"""The ``--preset functionals`` audio recipe end to end: per-actor normalization, speed copies, refit, save, predict.

Accuracy on real RAVDESS is measured by ``benchmarks/audio.py``, not here; these tests
check that the recipe's runs compute what they say on the synthetic demo data.
"""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import predict
import train_models
from ravdess_emotion.features.functionals import feature_names, n_features
from ravdess_emotion.features.loader import RAVDESSDataLoader
from ravdess_emotion.models import AudioEmotionLogistic

BEST = train_models.PRESETS["functionals"].feature_settings()


def test_loader_normalizes_per_actor_and_caches_raw_features(demo_audio: Path, tmp_path: Path) -> None:
    raw_loader = RAVDESSDataLoader(
        demo_audio,
        replace(BEST, speaker_norm=False),
        cache_dir=tmp_path,
        progress=False,
    )
    raw, y, info = raw_loader.load_audio_dataset("speech", return_info=True)
    assert raw.shape == (len(info), n_features())
    loader = RAVDESSDataLoader(demo_audio, BEST, cache_dir=tmp_path, progress=False)
    normalized, y2, info2 = loader.load_audio_dataset("speech", return_info=True)
    assert loader.cache_path("audio", "speech") == raw_loader.cache_path("audio", "speech")  # one cache
    assert len(list(tmp_path.glob("audio_speech_*.npz"))) == 1
    np.testing.assert_array_equal(y, y2)
    for actor in info2["actor"].unique():
        rows = (info2["actor"] == actor).to_numpy()
        np.testing.assert_allclose(normalized[rows].mean(axis=0), 0, atol=1e-4)
    mfcc_loader = RAVDESSDataLoader(demo_audio, cache_dir=tmp_path, progress=False)
    assert mfcc_loader.cache_path("audio", "speech") != loader.cache_path("audio", "speech")
    # The fusion reads MFCC images whatever audio view the audio models read.
    assert [view.name for view in loader.views_of("fusion")] == ["mfcc", "frames"]


@pytest.mark.slow
def test_functionals_preset_trains_refits_saves_and_predicts(
    demo_audio: Path, tmp_path: Path, capsys
) -> None:
    dirs = [arg for name in ("models", "plots", "reports") for arg in (f"--{name}-dir", str(tmp_path / name))]
    common = [
        "--data-dir",
        str(demo_audio),
        "--models",
        "audio-speech",
        "--preset",
        "functionals",
        "--verbose",
        "0",
    ]
    assert train_models.main([*common, "--epochs", "20", "--test-actors", "6", *dirs]) == 0
    out = capsys.readouterr().out
    assert "refit audio_emotion_speech_functionals: 20 epochs" in out
    run = json.loads((tmp_path / "reports" / "audio_emotion_speech_functionals_run.json").read_text())
    assert run["preset"] == "functionals" and run["refit"] and run["model_class"] == "AudioEmotionLogistic"
    assert run["evaluated_on"] == "test" and run["features"]["speaker_norm"]
    assert run["speed_perturbation"] == [0.9, 0.95, 1.05, 1.1] and run["features"]["playback_speed"] == 1.0
    # The demo's cues are learnable: a working recipe beats chance (1/8) on an unseen actor.
    assert run["metrics"]["accuracy"] >= 2 / 8
    summary = pd.read_csv(tmp_path / "reports" / "summary.csv")
    assert summary["model"].tolist() == ["audio-speech (functionals)"]

    # Predict: files of two actors are normalized per actor; a lone file without any statistics.
    model = tmp_path / "models" / "audio_emotion_speech_functionals.h5"
    files = sorted((demo_audio / "audio" / "speech").rglob("*-0[56].wav"))
    lone = tmp_path / "elsewhere" / "recording.wav"
    lone.parent.mkdir()
    lone.write_bytes(files[0].read_bytes())
    assert predict.main([str(model), *map(str, files), str(lone), "--format", "csv"]) == 0
    captured = capsys.readouterr()
    table = pd.read_csv(pd.io.common.StringIO(captured.out))
    assert sorted(table["path"]) == sorted(map(str, [*files, lone]))
    ways = dict(zip(table["path"], table["speaker_path"], strict=True))
    assert ways.pop(str(lone)) == "independent" and set(ways.values()) == {"batch"}

    # Without test actors, the metrics come from the validation actors before they are trained on.
    assert train_models.main([*common, "--epochs", "3", "--test-actors", "none", *dirs]) == 0
    run = json.loads((tmp_path / "reports" / "audio_emotion_speech_functionals_run.json").read_text())
    assert run["evaluated_on"] == "validation, before the refit"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("channel", "speeds", "enrollment", "copies"),
    [
        ("song", "none", "none", 1),
        ("speech", "0.9,1.1", "none", 3),
        # Each version standardised by all of its speaker's files, by none, and by 1, 3, 10 of them.
        ("speech", "0.9,1.1", "1,3,10", 3 * 5),
        ("song", "none", "prior", 2),
    ],
)
def test_refit_trains_on_training_and_validation_actors(
    demo_audio: Path, tmp_path: Path, monkeypatch, channel: str, speeds: str, enrollment: str, copies: int
) -> None:
    seen: list[tuple[int, int | None]] = []
    original = AudioEmotionLogistic.train

    def recording_train(self, X_train, y_train, X_val=None, *args, **kwargs):
        seen.append((len(X_train), None if X_val is None else len(X_val)))
        return original(self, X_train, y_train, X_val, *args, **kwargs)

    monkeypatch.setattr(AudioEmotionLogistic, "train", recording_train)
    dirs = [arg for name in ("models", "plots", "reports") for arg in (f"--{name}-dir", str(tmp_path / name))]
    args = [
        "--data-dir",
        str(demo_audio),
        "--models",
        f"audio-{channel}",
        "--preset",
        "functionals",
        "--epochs",
        "2",
    ]
    args += ["--speed-perturbation", speeds, "--enrollment-copies", enrollment]
    args += ["--test-actors", "6", "--val-actors", "5", "--verbose", "0"]
    assert train_models.main([*args, *dirs]) == 0
    manifest = pd.read_csv(demo_audio / "manifest.csv")
    per_actor = (
        (manifest["channel"] == channel) & (manifest["actor"] == 1) & (manifest["modality"] == 3)
    ).sum()
    # Training files come with their speed and standardisation copies; validation files never do.
    assert seen == [(copies * 4 * per_actor, per_actor), (copies * 5 * per_actor, None)]


@pytest.mark.slow
def test_speed_copies_are_cached_apart_and_normalized_per_actor(demo_audio: Path, tmp_path: Path) -> None:
    loader = RAVDESSDataLoader(demo_audio, BEST, cache_dir=tmp_path, progress=False)
    original, _, info = loader.load_audio_dataset("speech", return_info=True)
    before = loader.cache_path("audio", "speech")
    slow, fast = loader.load_audio_speed_copies("speech", (0.8, 1.25), info.iloc[::-1])
    assert slow.shape == fast.shape == original.shape
    assert len(list(tmp_path.glob("audio_speech_*.npz"))) == 3  # the original and one cache per speed
    assert loader.cache_path("audio", "speech") == before  # a speed of 1.0 leaves the cache key alone
    reversed_rows = info.iloc[::-1].reset_index(drop=True)
    for copy in (slow, fast):
        assert not np.allclose(copy, original[::-1], atol=1e-3)  # the speed changed the features
        for actor in reversed_rows["actor"].unique():
            rows = (reversed_rows["actor"] == actor).to_numpy()
            np.testing.assert_allclose(copy[rows].mean(axis=0), 0, atol=1e-4)
    names = feature_names()
    # Played faster, a voice is higher: the median pitch of the copy rises by about log(1.25 / 0.8).
    pitch = names.index("log_f0_p50")
    raw = RAVDESSDataLoader(demo_audio, replace(BEST, speaker_norm=False), cache_dir=tmp_path, progress=False)
    raw_slow, raw_fast = raw.load_audio_speed_copies("speech", (0.8, 1.25), info)
    rise = np.median(raw_fast[:, pitch] - raw_slow[:, pitch])
    assert rise == pytest.approx(np.log(1.25 / 0.8), abs=0.1)
